//! Supervisors start in order (OTP's synchronous `start_child`): one child
//! at a time, each once the one before it is ready; the supervisor is
//! ready once all are. A run that closes before it is ready fails the
//! supervisor's start while it starts (no restart counted, the started
//! children closed in reverse order, the not-ready ancestors rolled back),
//! and is a restart like any other once the supervisor has been ready.
//!
//! Children are driven by hand: each run logs `x begins`, then does what it
//! is told (`x ready`: it calls `set_ready()`; `x fails`: it returns an
//! error; `x returns`: it returns `Ok`), or logs `x stops` when closed.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Log, within};
use goprocess::events::Event;
use goprocess::supervise::{ChildState, Restart, Strategy, SupervisedChild, Supervisor};
use goprocess::{CloseCause, ErrorKind, Process};
use tokio::sync::{Notify, mpsc, watch};

/// What a run is told to do.
#[derive(Clone, Copy, Debug)]
enum Order {
    /// Call `set_ready()`.
    Ready,
    /// Return an error.
    Fail,
    /// Return `Ok` (without `set_ready()`, if it was not ready yet).
    Return,
}

/// Children whose runs log what they do and wait for orders.
#[derive(Clone, Default)]
struct Kids {
    log: Log,
    /// Notified at each event logged.
    logged: Arc<Notify>,
    orders: Arc<Mutex<HashMap<&'static str, mpsc::UnboundedSender<Order>>>>,
}

impl Kids {
    fn run(
        &self,
        name: &'static str,
    ) -> impl Fn(
        Process,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<(), &'static str>> + Send>,
    > + Send
    + Sync
    + 'static {
        let this = self.clone();
        move |me: Process| {
            let this = this.clone();
            let (tx, mut rx) = mpsc::unbounded_channel();
            this.orders.lock().unwrap().insert(name, tx);
            this.note(format!("{name} begins"));
            Box::pin(async move {
                loop {
                    tokio::select! {
                        biased;
                        order = rx.recv() => match order {
                            Some(Order::Ready) => {
                                this.note(format!("{name} ready"));
                                me.set_ready();
                            }
                            Some(Order::Fail) => {
                                this.note(format!("{name} fails"));
                                return Err("could not bind");
                            }
                            Some(Order::Return) | None => {
                                this.note(format!("{name} returns"));
                                return Ok(());
                            }
                        },
                        _ = me.closing() => {
                            this.note(format!("{name} stops"));
                            return Ok(());
                        }
                    }
                }
            })
        }
    }

    /// Adds `name`, whose runs signal readiness when told to.
    fn signalling(
        &self,
        sup: &Supervisor,
        name: &'static str,
        restart: Restart,
    ) -> SupervisedChild {
        sup.child_spec(name, restart, self.run(name))
            .signals_ready()
            .start()
            .unwrap()
    }

    /// Adds `name`, whose runs are ready as they start.
    fn plain(&self, sup: &Supervisor, name: &'static str, restart: Restart) -> SupervisedChild {
        sup.child_spec(name, restart, self.run(name))
            .start()
            .unwrap()
    }

    fn note(&self, event: String) {
        self.log.push(event);
        self.logged.notify_waiters();
    }

    /// Tells the current run of `name` what to do.
    fn tell(&self, name: &'static str, order: Order) {
        let orders = self.orders.lock().unwrap();
        orders[name].send(order).expect("the run waits for orders");
    }

    /// Waits (bounded) until the log holds `event` `times` times.
    async fn until(&self, event: &str, times: usize) {
        within(async {
            loop {
                let logged = self.logged.notified();
                tokio::pin!(logged);
                logged.as_mut().enable();
                if self.count(event) >= times {
                    return;
                }
                logged.await;
            }
        })
        .await;
    }

    fn count(&self, event: &str) -> usize {
        self.log.events().iter().filter(|e| *e == event).count()
    }

    fn events(&self) -> Vec<String> {
        self.log.events()
    }
}

/// Lets the tasks of a current-thread runtime run for a while.
async fn settle() {
    for _ in 0..64 {
        tokio::task::yield_now().await;
    }
}

fn states(sup: &Supervisor) -> Vec<ChildState> {
    sup.children().iter().map(|c| c.state()).collect()
}

// ---- the start order ----

/// Child B's run begins only once A's is ready, C's once B's is; the
/// supervisor, and the app around it, are ready once all are.
#[tokio::test]
async fn children_start_one_at_a_time_each_once_the_one_before_is_ready() {
    let app = Process::new().named("app");
    let sup = Supervisor::new(&app, Strategy::OneForOne).named("sup");
    let kids = Kids::default();
    assert!(sup.process().is_ready(), "no children: ready");
    kids.signalling(&sup, "a", Restart::Permanent);
    kids.signalling(&sup, "b", Restart::Permanent);
    kids.plain(&sup, "c", Restart::Permanent);
    settle().await;
    assert_eq!(kids.events(), ["a begins"]);
    assert_eq!(
        states(&sup),
        [
            ChildState::Starting,
            ChildState::Waiting,
            ChildState::Waiting
        ]
    );
    assert!(!sup.process().is_ready() && !app.is_ready());

    kids.tell("a", Order::Ready);
    kids.until("b begins", 1).await;
    settle().await;
    assert_eq!(kids.events(), ["a begins", "a ready", "b begins"]);
    assert!(!sup.process().is_ready());

    kids.tell("b", Order::Ready);
    within(sup.process().ready()).await.unwrap();
    within(app.ready()).await.unwrap();
    assert_eq!(
        kids.events(),
        ["a begins", "a ready", "b begins", "b ready", "c begins"]
    );
    assert_eq!(states(&sup), [ChildState::Running; 3]);
    within(app.close()).await.unwrap();
    assert_eq!(
        &kids.events()[5..],
        ["c stops", "b stops", "a stops"],
        "closed in reverse order"
    );
}

/// Readiness as it is now: a supervisor with no children is ready, a child
/// that starts ready keeps it ready, one that signals makes it (and its
/// ancestors) not ready until that child is.
#[tokio::test]
async fn a_child_added_later_that_signals_makes_the_supervisor_not_ready_until_it_is() {
    let app = Process::new().named("app");
    let sup = Supervisor::new(&app, Strategy::OneForOne).named("sup");
    let kids = Kids::default();
    within(app.ready()).await.unwrap();
    kids.plain(&sup, "plain", Restart::Permanent);
    assert!(sup.process().is_ready() && app.is_ready());
    kids.signalling(&sup, "db", Restart::Permanent);
    assert!(!sup.process().is_ready() && !app.is_ready());
    kids.until("db begins", 1).await;
    kids.tell("db", Order::Ready);
    within(app.ready()).await.unwrap();
    assert!(sup.process().is_ready());
    within(app.close()).await.unwrap();
}

/// One run starts at a time, restarts included: a child restarted while
/// another starts waits for it (the restart is counted as any other).
#[tokio::test]
async fn a_restart_waits_for_the_run_starting_now() {
    let app = Process::new().named("app");
    let sup = Supervisor::new(&app, Strategy::OneForOne).named("sup");
    let kids = Kids::default();
    kids.plain(&sup, "p", Restart::Permanent);
    kids.signalling(&sup, "s", Restart::Permanent);
    kids.until("s begins", 1).await;
    kids.tell("p", Order::Fail);
    kids.until("p fails", 1).await;
    settle().await;
    assert_eq!(kids.count("p begins"), 1, "{:?}", kids.events());
    assert_eq!(states(&sup), [ChildState::Waiting, ChildState::Starting]);
    assert_eq!(sup.restarts(), 1);
    kids.tell("s", Order::Ready);
    kids.until("p begins", 2).await;
    within(sup.process().ready()).await.unwrap();
    assert_eq!(
        kids.events(),
        ["p begins", "s begins", "p fails", "s ready", "p begins"]
    );
    within(app.close()).await.unwrap();
}

/// A group restart starts its children in their order, each once the one
/// before it is ready, and the supervisor is not ready meanwhile.
#[tokio::test]
async fn a_group_restart_starts_its_children_in_order_each_once_the_one_before_is_ready() {
    let app = Process::new().named("app");
    let sup = Supervisor::new(&app, Strategy::OneForAll).named("sup");
    let kids = Kids::default();
    kids.signalling(&sup, "a", Restart::Permanent);
    kids.signalling(&sup, "b", Restart::Permanent);
    kids.plain(&sup, "c", Restart::Permanent);
    kids.until("a begins", 1).await;
    kids.tell("a", Order::Ready);
    kids.until("b begins", 1).await;
    kids.tell("b", Order::Ready);
    within(sup.process().ready()).await.unwrap();
    kids.until("c begins", 1).await;
    let before = kids.events().len();

    kids.tell("c", Order::Fail);
    kids.until("a begins", 2).await;
    settle().await;
    assert!(!sup.process().is_ready() && !app.is_ready());
    assert_eq!(
        kids.events()[before..],
        ["c fails", "b stops", "a stops", "a begins"]
    );
    kids.tell("a", Order::Ready);
    kids.until("b begins", 2).await;
    settle().await;
    assert_eq!(kids.count("c begins"), 1, "c waits for b");
    kids.tell("b", Order::Ready);
    within(sup.process().ready()).await.unwrap();
    assert_eq!(
        kids.events()[before + 4..],
        ["a ready", "b begins", "b ready", "c begins"]
    );
    assert_eq!(sup.restarts(), 1);
    within(app.close()).await.unwrap();
}

// ---- a failed start ----

/// OTP's `failed_to_start_child`: the children started so far close in
/// reverse order, the ones after it never start, no restart is counted,
/// and the supervisor closes with `StartFailed`, listing the run's
/// failure; its app, not ready, rolls back.
#[tokio::test]
async fn a_run_failing_before_it_is_ready_fails_the_supervisors_start() {
    let app = Process::new().named("app");
    let sup = Supervisor::new(&app, Strategy::OneForOne).named("sup");
    let kids = Kids::default();
    kids.signalling(&sup, "first", Restart::Permanent);
    kids.plain(&sup, "second", Restart::Permanent);
    kids.signalling(&sup, "db", Restart::Permanent);
    kids.plain(&sup, "after", Restart::Permanent);
    kids.until("first begins", 1).await;
    kids.tell("first", Order::Ready);
    kids.until("db begins", 1).await;
    let ready = tokio::spawn(sup.process().ready());
    kids.tell("db", Order::Fail);

    let err = within(ready).await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StartFailed, "{err:#}");
    assert!(
        err.to_string().contains("child `db` failed to start"),
        "{err:#}"
    );
    within(app.closed()).await;
    assert_eq!(
        kids.events(),
        [
            "first begins",
            "first ready",
            "second begins",
            "db begins",
            "db fails",
            "second stops",
            "first stops"
        ]
    );
    assert_eq!(sup.restarts(), 0, "a failed start is no restart");
    assert!(matches!(
        sup.process().close_cause(),
        Some(CloseCause::StartFailed)
    ));
    let sup_err = within(sup.process().err()).await.unwrap_err();
    assert_eq!(sup_err.kind(), ErrorKind::StartFailed);
    assert_eq!(sup_err.children().len(), 1, "{sup_err:#}");
    assert_eq!(sup_err.children()[0].name(), "db");
    assert_eq!(
        sup_err.children()[0].error().kind(),
        ErrorKind::Function,
        "{sup_err:#}"
    );
    assert_eq!(states(&sup), [ChildState::Ended; 4]);
    // The app was not ready (the supervisor was starting): rolled back.
    assert!(matches!(app.close_cause(), Some(CloseCause::StartFailed)));
    let app_err = within(app.err()).await.unwrap_err();
    assert_eq!(app_err.kind(), ErrorKind::StartFailed, "{app_err:#}");
}

/// A signalling run that returns without `set_ready()` failed to start,
/// as a `signals_ready` function does.
#[tokio::test]
async fn a_run_returning_without_set_ready_fails_the_start() {
    let app = Process::new().named("app");
    let sup = Supervisor::new(&app, Strategy::OneForOne).named("sup");
    let kids = Kids::default();
    kids.signalling(&sup, "quiet", Restart::Transient);
    kids.until("quiet begins", 1).await;
    kids.tell("quiet", Order::Return);
    let err = within(sup.process().err()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StartFailed, "{err:#}");
    let cause = err.children()[0].error();
    assert_eq!(cause.kind(), ErrorKind::StartFailed, "{err:#}");
    assert!(
        cause.to_string().contains("never called set_ready()"),
        "{err:#}"
    );
    assert_eq!(sup.restarts(), 0);
}

/// Only the ancestors that are not ready roll back: one beyond a no-wait
/// link keeps running.
#[tokio::test]
async fn a_failed_start_rolls_back_only_the_ancestors_not_ready() {
    let root = Process::new().named("root");
    let app = Process::new().named("app");
    root.add_child_no_wait(&app);
    let sup = Supervisor::new(&app, Strategy::OneForOne).named("sup");
    let kids = Kids::default();
    kids.signalling(&sup, "db", Restart::Permanent);
    kids.until("db begins", 1).await;
    kids.tell("db", Order::Fail);
    within(app.closed()).await;
    assert!(matches!(app.close_cause(), Some(CloseCause::StartFailed)));
    settle().await;
    assert!(!root.is_closing() && root.is_ready());
    within(root.close()).await.unwrap();
}

/// A supervisor inside a part that signals readiness: the part is ready
/// once it said so and the supervisor is; a failed start of the
/// supervisor rolls the part and the app back.
#[tokio::test]
async fn a_supervisor_in_a_signals_ready_part_is_part_of_its_start() {
    for fails in [false, true] {
        let app = Process::new().named("app");
        let kids = Kids::default();
        let sup = Arc::new(Mutex::new(None));
        let (s, k) = (sup.clone(), kids.clone());
        let part = app
            .child()
            .named("part")
            .signals_ready()
            .go(move |me| async move {
                let sup = Supervisor::new(&me, Strategy::OneForOne).named("sup");
                k.signalling(&sup, "db", Restart::Permanent);
                *s.lock().unwrap() = Some(sup);
                me.set_ready(); // its own part done; the supervisor's pending
                me.closing().await;
            });
        kids.until("db begins", 1).await;
        settle().await;
        assert!(!part.is_ready() && !app.is_ready());
        let sup = sup.lock().unwrap().clone().unwrap();
        if fails {
            kids.tell("db", Order::Fail);
            let err = within(app.ready()).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::StartFailed, "{err:#}");
            within(app.closed()).await;
            assert!(matches!(part.close_cause(), Some(CloseCause::StartFailed)));
            assert!(matches!(app.close_cause(), Some(CloseCause::StartFailed)));
            assert_eq!(sup.restarts(), 0);
        } else {
            kids.tell("db", Order::Ready);
            within(app.ready()).await.unwrap();
            assert!(part.is_ready() && sup.process().is_ready());
            within(app.close()).await.unwrap();
        }
    }
}

/// A run that calls `set_ready()` and fails at once, before the supervisor
/// saw it ready, was ready: its end is a restart, not a failed start.
#[tokio::test]
async fn a_run_ready_then_failing_at_once_is_restarted_not_a_failed_start() {
    let app = Process::new().named("app");
    let sup = Supervisor::new(&app, Strategy::OneForOne).named("sup");
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    sup.child_spec("flash", Restart::Permanent, move |me: Process| {
        let run = r.fetch_add(1, Ordering::SeqCst);
        async move {
            me.set_ready();
            if run == 0 {
                return Err("crashed right after it served");
            }
            me.closing().await;
            Ok(())
        }
    })
    .signals_ready()
    .start()
    .unwrap();
    within(app.ready()).await.unwrap();
    assert_eq!(sup.restarts(), 1);
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert!(!app.is_closing());
    within(app.close()).await.unwrap();
}

// ---- once it has been ready: restarts ----

/// Once the supervisor has been ready, a run that fails before it is ready
/// is a restart like any other, with its backoff; the supervisor (and its
/// app) are not ready meanwhile, and ready again once the child is.
#[tokio::test(start_paused = true)]
async fn after_it_was_ready_a_failed_start_is_a_restart_with_backoff() {
    let app = Process::new().named("app");
    let sup = Supervisor::new(&app, Strategy::OneForOne)
        .named("sup")
        .backoff(Duration::from_millis(100), Duration::from_secs(10));
    let ready_events = Arc::new(AtomicUsize::new(0));
    let r = ready_events.clone();
    let sup_id = sup.process().id();
    app.on_event(move |e| {
        if let Event::Ready { process } = e
            && process.id() == sup_id
        {
            r.fetch_add(1, Ordering::SeqCst);
        }
    });
    let kids = Kids::default();
    let db = kids.signalling(&sup, "db", Restart::Permanent);
    kids.until("db begins", 1).await;
    kids.tell("db", Order::Ready);
    within(app.ready()).await.unwrap();
    assert_eq!(ready_events.load(Ordering::SeqCst), 1);

    // It crashes after it was ready: restarted after its backoff, and not
    // ready until its next run is.
    kids.tell("db", Order::Fail);
    kids.until("db fails", 1).await;
    settle().await;
    assert!(matches!(db.state(), ChildState::Backoff { .. }));
    assert!(!sup.process().is_ready() && !app.is_ready());
    let crashed = tokio::time::Instant::now();
    kids.until("db begins", 2).await;
    assert!(crashed.elapsed() >= Duration::from_millis(90));
    assert_eq!(db.state(), ChildState::Starting);

    // Its next run fails before it is ready: a restart, with a longer
    // backoff; nothing rolls back.
    let failed = tokio::time::Instant::now();
    kids.tell("db", Order::Fail);
    kids.until("db begins", 3).await;
    assert!(failed.elapsed() >= Duration::from_millis(180));
    assert_eq!(sup.restarts(), 2);
    assert!(!sup.process().is_closing() && !app.is_closing());
    assert!(!app.is_ready());

    kids.tell("db", Order::Ready);
    within(app.ready()).await.unwrap();
    assert_eq!(ready_events.load(Ordering::SeqCst), 2);
    assert_eq!(db.state(), ChildState::Running);
    within(app.close()).await.unwrap();
}

/// A supervisor that gives up while a child that signals readiness starts
/// again closes while not ready: like any part that fails to start, it
/// rolls its not-ready ancestors back.
#[tokio::test]
async fn giving_up_while_a_child_starts_again_rolls_the_app_back() {
    let app = Process::new().named("app");
    let sup = Supervisor::new(&app, Strategy::OneForOne)
        .named("sup")
        .max_restarts(1, Duration::from_secs(60));
    let kids = Kids::default();
    kids.signalling(&sup, "db", Restart::Permanent);
    kids.until("db begins", 1).await;
    kids.tell("db", Order::Ready);
    within(app.ready()).await.unwrap();
    kids.tell("db", Order::Fail); // restart 1
    kids.until("db begins", 2).await;
    kids.tell("db", Order::Fail); // before it is ready: one too many
    let err = within(sup.process().err()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RestartLimit, "{err:#}");
    within(app.closed()).await;
    assert!(matches!(app.close_cause(), Some(CloseCause::StartFailed)));
}

/// Closed during its start, a supervisor's `ready()` fails, its close is
/// no failure, and its app (not ready) rolls back; the child waiting never
/// starts.
#[tokio::test]
async fn a_supervisor_closed_during_its_start_rolls_its_app_back() {
    let app = Process::new().named("app");
    let sup = Supervisor::new(&app, Strategy::OneForOne).named("sup");
    let kids = Kids::default();
    kids.signalling(&sup, "db", Restart::Permanent);
    kids.plain(&sup, "http", Restart::Permanent);
    kids.until("db begins", 1).await;
    let ready = tokio::spawn(sup.process().ready());
    within(sup.process().close()).await.unwrap();
    let err = within(ready).await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StartFailed, "{err:#}");
    within(app.closed()).await;
    assert!(matches!(app.close_cause(), Some(CloseCause::StartFailed)));
    assert_eq!(kids.events(), ["db begins", "db stops"]);
    assert_eq!(states(&sup), [ChildState::Ended; 2]);
}

// ---- handles ----

/// Terminating the child that starts lets the next one start; restarting
/// it queues it again in the order, and the supervisor waits for it.
#[tokio::test]
async fn terminate_and_restart_of_a_child_that_signals_readiness() {
    let app = Process::new().named("app");
    let sup = Supervisor::new(&app, Strategy::OneForOne).named("sup");
    let kids = Kids::default();
    let a = kids.signalling(&sup, "a", Restart::Permanent);
    kids.plain(&sup, "b", Restart::Permanent);
    kids.until("a begins", 1).await;
    let refused = a.restart().unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::InvalidInput);

    within(a.terminate()).await.unwrap();
    kids.until("b begins", 1).await;
    within(sup.process().ready()).await.unwrap();
    assert_eq!(states(&sup), [ChildState::Terminated, ChildState::Running]);
    assert_eq!(sup.restarts(), 0);

    a.restart().unwrap();
    assert_eq!(a.state(), ChildState::Starting);
    assert!(!sup.process().is_ready());
    kids.until("a begins", 2).await;
    kids.tell("a", Order::Ready);
    within(sup.process().ready()).await.unwrap();
    assert_eq!(a.state(), ChildState::Running);
    within(app.close()).await.unwrap();
}

/// A child waiting for its turn can be terminated (it never starts) and
/// cannot be restarted meanwhile.
#[tokio::test]
async fn a_waiting_child_terminated_never_starts() {
    let app = Process::new().named("app");
    let sup = Supervisor::new(&app, Strategy::OneForOne).named("sup");
    let kids = Kids::default();
    kids.signalling(&sup, "db", Restart::Permanent);
    let http = kids.plain(&sup, "http", Restart::Permanent);
    kids.plain(&sup, "jobs", Restart::Permanent);
    assert_eq!(http.state(), ChildState::Waiting);
    let refused = http.restart().unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::InvalidInput);
    assert!(
        refused.to_string().contains("waiting to start"),
        "{refused}"
    );
    within(http.terminate()).await.unwrap();
    kids.until("db begins", 1).await;
    kids.tell("db", Order::Ready);
    within(sup.process().ready()).await.unwrap();
    kids.until("jobs begins", 1).await;
    assert_eq!(kids.events(), ["db begins", "db ready", "jobs begins"]);
    assert_eq!(
        states(&sup),
        [
            ChildState::Running,
            ChildState::Terminated,
            ChildState::Running
        ]
    );
    within(app.close()).await.unwrap();
}

// ---- visible ----

/// `children()`, snapshots and a start budget's report show who starts,
/// for how long, and who waits for it.
#[tokio::test(start_paused = true)]
async fn a_starting_child_is_visible_in_children_snapshots_and_reports() {
    let app = Process::new().named("app");
    let sup = Supervisor::new(&app, Strategy::OneForOne).named("sup");
    let kids = Kids::default();
    kids.signalling(&sup, "db", Restart::Permanent);
    kids.plain(&sup, "http", Restart::Permanent);
    kids.until("db begins", 1).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let children = sup.children();
    assert_eq!(children[0].state(), ChildState::Starting);
    assert_eq!(children[0].starting_for(), Some(Duration::from_secs(2)));
    assert_eq!(children[0].to_string(), "`db` (starting for 2.0s)");
    assert_eq!(
        children[1].to_string(),
        "`http` (waiting to start for 2.0s)"
    );
    let tree = app.snapshot().to_string();
    assert!(tree.contains("http (waiting to start)"), "{tree}");

    let err = within(app.ready_within(Duration::from_secs(3)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StartTimeout);
    let text = err.to_string();
    assert!(
        text.contains(
            "`app/sup` (not ready for 5.0s; waits for its children (one at a time), `db`)"
        ),
        "{text}"
    );
    assert!(
        text.contains("`app/sup/db` (not ready for 5.0s; waits for set_ready())"),
        "{text}"
    );
    within(app.closed()).await;
    assert!(matches!(app.close_cause(), Some(CloseCause::StartFailed)));
}

// ---- races ----

fn two_workers() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A child whose runs get ready after `yields` yields once `go` is true
/// (or, with `fail`, fail then), then serve until closed.
fn eager(
    log: &Log,
    go: &watch::Receiver<bool>,
    name: &'static str,
    yields: usize,
    fail: bool,
) -> impl Fn(
    Process,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), &'static str>> + Send>>
+ Send
+ Sync
+ 'static {
    let (log, go) = (log.clone(), go.clone());
    move |me: Process| {
        let (log, mut go) = (log.clone(), go.clone());
        Box::pin(async move {
            log.push(format!("{name} begins"));
            let _ = go.wait_for(|go| *go).await;
            for _ in 0..yields {
                tokio::task::yield_now().await;
            }
            if fail {
                log.push(format!("{name} fails"));
                return Err("could not bind");
            }
            me.set_ready();
            me.closing().await;
            log.push(format!("{name} stops"));
            Ok(())
        })
    }
}

/// The supervisor closed at any point of its start, on two workers, its
/// second child sometimes failing before it is ready meanwhile: no run is
/// left open, none begins after a failed start, the runs began in their
/// order (each once), and everything closes. The app rolls back exactly
/// when the supervisor closed before it was ready.
#[test]
fn a_supervisor_closed_during_its_start() {
    let rt = two_workers();
    rt.block_on(async {
        for i in 0..2_000 {
            let app = Process::new().named("app");
            let sup = Supervisor::new(&app, Strategy::OneForOne).named("sup");
            let log = Log::new();
            let fails = i % 4 == 0;
            // The children of the start are added before any can be ready.
            let (go, gate) = watch::channel(false);
            for (name, yields, fail) in [("a", i % 3, false), ("b", i % 5, fails), ("c", 0, false)]
            {
                sup.child_spec(
                    name,
                    Restart::Permanent,
                    eager(&log, &gate, name, yields, fail),
                )
                .signals_ready()
                .start()
                .unwrap();
            }
            go.send(true).unwrap();
            let closer = sup.clone();
            let delay = i % 7;
            let close = tokio::spawn(async move {
                for _ in 0..delay {
                    tokio::task::yield_now().await;
                }
                closer.process().close().await
            });
            let closed = within(close).await.unwrap();
            let events = log.events();
            let began: Vec<&String> = events.iter().filter(|e| e.ends_with("begins")).collect();
            let order = ["a begins", "b begins", "c begins"];
            assert_eq!(began, order[..began.len()], "iteration {i}: {events:?}");
            let ended = events
                .iter()
                .filter(|e| e.ends_with("stops") || e.ends_with("fails"))
                .count();
            assert_eq!(ended, began.len(), "iteration {i}: {events:?}");
            if events.iter().any(|e| e == "b fails") {
                assert!(
                    !events.iter().any(|e| e == "c begins"),
                    "iteration {i}: {events:?}"
                );
            } else {
                closed.unwrap();
            }
            assert_eq!(sup.restarts(), 0, "iteration {i}: {events:?}");
            let sup_ready = within(sup.process().ready()).await.is_ok();
            if sup_ready {
                assert!(!app.is_closing(), "iteration {i}");
                within(app.close()).await.unwrap();
            } else {
                within(app.closed()).await;
                assert!(
                    matches!(app.close_cause(), Some(CloseCause::StartFailed)),
                    "iteration {i}"
                );
            }
            assert!(
                sup.children()
                    .iter()
                    .all(|c| c.state() == ChildState::Ended),
                "iteration {i}: {:?}",
                sup.children()
            );
        }
    });
}

/// Terminate and close during a group restart of children that signal
/// readiness, on two workers: no run is left open, nothing hangs.
#[test]
fn terminate_and_close_during_a_group_restart() {
    let rt = two_workers();
    rt.block_on(async {
        for i in 0..1_000 {
            let app = Process::new().named("app");
            let sup = Supervisor::new(&app, Strategy::OneForAll)
                .named("sup")
                .unlimited_restarts();
            let log = Log::new();
            let (_go, gate) = watch::channel(true);
            let mut handles = Vec::new();
            for (name, yields) in [("a", i % 3), ("b", i % 2), ("c", 0)] {
                handles.push(
                    sup.child_spec(
                        name,
                        Restart::Permanent,
                        eager(&log, &gate, name, yields, false),
                    )
                    .signals_ready()
                    .start()
                    .unwrap(),
                );
            }
            within(sup.process().ready()).await.unwrap();
            let c = handles[2].run().unwrap();
            c.close().await.unwrap(); // a restart of the group
            within(async {
                while sup.restarts() == 0 {
                    tokio::task::yield_now().await;
                }
            })
            .await;
            let b = handles[1].clone();
            let delay = i % 6;
            let terminate = tokio::spawn(async move {
                for _ in 0..delay {
                    tokio::task::yield_now().await;
                }
                b.terminate().await
            });
            if i % 2 == 0 {
                within(terminate).await.unwrap().unwrap();
                within(sup.process().ready()).await.unwrap();
                assert_eq!(handles[1].state(), ChildState::Terminated, "iteration {i}");
                assert!(
                    handles[0].state() == ChildState::Running
                        && handles[2].state() == ChildState::Running,
                    "iteration {i}: {:?}",
                    sup.children()
                );
                within(app.close()).await.unwrap();
            } else {
                // Closed while the group starts again (not ready): its
                // app rolls back; closed once it was ready: it does not.
                within(sup.process().close()).await.unwrap();
                let _ = within(terminate).await.unwrap();
                let rolled_back = within(sup.process().ready()).await.is_err();
                let app_closed = within(app.close()).await;
                assert_eq!(
                    app_closed.is_err(),
                    rolled_back,
                    "iteration {i}: {app_closed:?}"
                );
                assert!(
                    sup.children()
                        .iter()
                        .all(|c| matches!(c.state(), ChildState::Ended | ChildState::Terminated)),
                    "iteration {i}: {:?}",
                    sup.children()
                );
            }
            let events = log.events();
            let began = events.iter().filter(|e| e.ends_with("begins")).count();
            let stopped = events.iter().filter(|e| e.ends_with("stops")).count();
            assert_eq!(began, stopped, "iteration {i}: {events:?}");
        }
    });
}

/// Terminate the child that starts while it gets ready, on two workers:
/// the next child always starts, the supervisor ends ready, and nothing
/// hangs.
#[test]
fn terminate_during_a_start() {
    let rt = two_workers();
    rt.block_on(async {
        for i in 0..2_000 {
            let app = Process::new().named("app");
            let sup = Supervisor::new(&app, Strategy::OneForOne).named("sup");
            let log = Log::new();
            let (_go, gate) = watch::channel(true);
            let a = sup
                .child_spec(
                    "a",
                    Restart::Permanent,
                    eager(&log, &gate, "a", i % 4, false),
                )
                .signals_ready()
                .start()
                .unwrap();
            sup.child_spec("b", Restart::Permanent, eager(&log, &gate, "b", 0, false))
                .signals_ready()
                .start()
                .unwrap();
            let delay = i % 5;
            let terminate = tokio::spawn(async move {
                for _ in 0..delay {
                    tokio::task::yield_now().await;
                }
                a.terminate().await
            });
            within(terminate).await.unwrap().unwrap();
            within(app.ready()).await.unwrap();
            assert!(sup.process().is_ready(), "iteration {i}");
            assert_eq!(sup.restarts(), 0);
            let children = sup.children();
            assert_eq!(children[0].state(), ChildState::Terminated, "iteration {i}");
            assert_eq!(children[1].state(), ChildState::Running, "iteration {i}");
            within(app.close()).await.unwrap();
            assert_eq!(log.events().iter().filter(|e| *e == "b begins").count(), 1);
        }
    });
}
