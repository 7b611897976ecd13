//! Supervision completed, against Erlang/OTP's `supervisor`: auto_shutdown
//! and significant children, child specs (a run's shutdown budget,
//! readiness), the handles of started children (`terminate`, `restart`,
//! OTP's `terminate_child` and `restart_child`), the children listed with
//! their state (OTP's `which_children`) in snapshots and reports, a
//! supervisor as a struct field, unlimited restarts, refused arguments, a
//! loop that survives its subscribers, and the supervisor's order as a
//! wait for the cycle check.
//!
//! Children are driven by hand, as in `supervise_rules.rs`: each run logs
//! `start x`, then ends when told to (`end x`) or when closed (`stop x`).

mod common;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Alive, Log, within};
use goprocess::events::Event;
use goprocess::supervise::{
    AutoShutdown, ChildState, Restart, Strategy, SupervisedChild, Supervisor,
};
use goprocess::{CloseCause, ErrorKind, Process, Start, process};
use tokio::sync::oneshot;

#[derive(Clone, Copy, Debug)]
enum End {
    Ok,
    Err,
}

type RunFuture = Pin<Box<dyn Future<Output = Result<(), &'static str>> + Send>>;

/// Children whose runs log themselves and end when told to.
#[derive(Clone, Default)]
struct Kids {
    log: Log,
    ends: Arc<Mutex<HashMap<&'static str, oneshot::Sender<End>>>>,
    /// Children whose runs ignore their close (until aborted).
    stubborn: Arc<Mutex<Vec<&'static str>>>,
    /// Runs not dropped yet (a stubborn run is only gone once aborted).
    alive: Alive,
}

impl Kids {
    fn run(&self, name: &'static str) -> impl Fn(Process) -> RunFuture + Send + Sync + 'static {
        let this = self.clone();
        move |me: Process| {
            let this = this.clone();
            Box::pin(async move {
                let _alive = this.alive.token();
                let (tx, rx) = oneshot::channel();
                this.ends.lock().unwrap().insert(name, tx);
                this.log.push(format!("start {name}"));
                tokio::select! {
                    end = rx => {
                        this.log.push(format!("end {name}"));
                        match end.expect("kept until sent") {
                            End::Ok => Ok(()),
                            End::Err => Err("crashed"),
                        }
                    }
                    _ = me.closing() => {
                        if this.stubborn.lock().unwrap().contains(&name) {
                            std::future::pending::<()>().await;
                        }
                        this.log.push(format!("stop {name}"));
                        Ok(())
                    }
                }
            })
        }
    }

    /// Ends the running run of `name`, then lets everything settle.
    async fn end(&self, name: &'static str, end: End) {
        let tx = self
            .ends
            .lock()
            .unwrap()
            .remove(name)
            .unwrap_or_else(|| panic!("{name} has no running run"));
        tx.send(end).unwrap();
        settle().await;
    }

    fn stubborn(&self, name: &'static str) {
        self.stubborn.lock().unwrap().push(name);
    }

    fn events(&self) -> Vec<String> {
        self.log.events()
    }
}

/// Lets every task that can run, run, without moving the paused clock.
async fn settle() {
    for _ in 0..64 {
        tokio::task::yield_now().await;
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// A supervisor under `app` with a generous limit.
fn supervisor(app: &Process, strategy: Strategy) -> Supervisor {
    Supervisor::new(app, strategy)
        .named("sup")
        .max_restarts(100, Duration::from_secs(1))
}

fn start(
    sup: &Supervisor,
    kids: &Kids,
    name: &'static str,
    restart: Restart,
    significant: bool,
) -> SupervisedChild {
    let spec = sup.child_spec(name, restart, kids.run(name));
    let spec = if significant {
        spec.significant()
    } else {
        spec
    };
    spec.start().unwrap()
}

// ---- auto_shutdown and significant children ----

#[tokio::test(start_paused = true)]
async fn auto_shutdown_never_is_the_default_and_significant_ends_change_nothing() {
    let app = Process::new().named("app");
    let kids = Kids::default();
    let sup = supervisor(&app, Strategy::OneForOne);
    start(&sup, &kids, "a", Restart::Permanent, false);
    start(&sup, &kids, "job", Restart::Transient, true);
    settle().await;
    kids.end("job", End::Ok).await;
    assert!(!sup.process().is_closing(), "Never: the supervisor runs on");
    assert_eq!(sup.children()[1].state(), ChildState::Ended);
    within(app.close()).await.unwrap();
    assert_eq!(
        kids.events(),
        strings(&["start a", "start job", "end job", "stop a"])
    );
}

#[tokio::test(start_paused = true)]
async fn any_significant_closes_the_supervisor_once_one_ends_the_others_in_reverse_order() {
    let app = Process::new().named("app");
    let kids = Kids::default();
    let sup = supervisor(&app, Strategy::OneForOne).auto_shutdown(AutoShutdown::AnySignificant);
    start(&sup, &kids, "a", Restart::Permanent, false);
    start(&sup, &kids, "reader", Restart::Transient, true);
    start(&sup, &kids, "c", Restart::Permanent, false);
    settle().await;
    kids.end("reader", End::Ok).await;
    within(sup.process().closed()).await;
    assert_eq!(
        kids.events(),
        strings(&[
            "start a",
            "start reader",
            "start c",
            "end reader",
            "stop c",
            "stop a"
        ])
    );
    // OTP's `shutdown` exit: no failure, and the supervisor's function
    // (its loop) returned.
    assert!(sup.process().err().await.is_ok());
    assert_eq!(sup.process().close_cause(), Some(CloseCause::Returned));
    assert!(!app.is_closing(), "its parent is not closed by it");
    within(app.close()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn all_significant_waits_for_every_significant_child() {
    let kids = Kids::default();
    let sup = supervisor(&Process::new(), Strategy::OneForOne)
        .auto_shutdown(AutoShutdown::AllSignificant);
    start(&sup, &kids, "a", Restart::Transient, true);
    start(&sup, &kids, "b", Restart::Temporary, true);
    start(&sup, &kids, "other", Restart::Permanent, false);
    settle().await;
    kids.end("a", End::Ok).await;
    assert!(!sup.process().is_closing(), "b is still running");
    kids.end("b", End::Err).await;
    within(sup.process().closed()).await;
    // A temporary child's failure is no restart's: listed.
    let err = sup.process().err().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Children);
    assert_eq!(err.children()[0].name(), "b");
    assert_eq!(
        kids.events(),
        strings(&[
            "start a",
            "start b",
            "start other",
            "end a",
            "end b",
            "stop other"
        ])
    );
}

#[tokio::test(start_paused = true)]
async fn a_significant_child_that_is_restarted_does_not_end_anything() {
    let kids = Kids::default();
    let sup = supervisor(&Process::new(), Strategy::OneForOne)
        .auto_shutdown(AutoShutdown::AnySignificant);
    start(&sup, &kids, "t", Restart::Transient, true);
    settle().await;
    kids.end("t", End::Err).await; // a failure: restarted
    assert!(!sup.process().is_closing());
    assert_eq!(sup.restarts(), 1);
    kids.end("t", End::Ok).await; // done: ends, and the supervisor with it
    within(sup.process().closed()).await;
    assert!(sup.process().err().await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn a_terminate_or_a_sibling_s_restart_is_no_end_for_auto_shutdown() {
    let kids = Kids::default();
    let sup = supervisor(&Process::new(), Strategy::OneForAll)
        .auto_shutdown(AutoShutdown::AnySignificant);
    start(&sup, &kids, "w", Restart::Permanent, false);
    let sig = start(&sup, &kids, "sig", Restart::Transient, true);
    start(&sup, &kids, "tmp", Restart::Temporary, true);
    settle().await;
    within(sig.terminate()).await.unwrap();
    settle().await;
    assert!(!sup.process().is_closing(), "a terminate is no end");
    // w fails: the group restart closes tmp (temporary: not started again)
    // and does not count as tmp's end.
    kids.end("w", End::Err).await;
    assert!(!sup.process().is_closing(), "a sibling's restart is no end");
    assert_eq!(sup.children()[2].state(), ChildState::Ended);
    assert_eq!(sup.children()[1].state(), ChildState::Terminated);
    assert_eq!(
        kids.events(),
        strings(&[
            "start w",
            "start sig",
            "start tmp",
            "stop sig",
            "end w",
            "stop tmp",
            "start w"
        ])
    );
    within(sup.process().close()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn all_significant_counts_a_terminated_child_as_ended() {
    let kids = Kids::default();
    let sup = supervisor(&Process::new(), Strategy::OneForOne)
        .auto_shutdown(AutoShutdown::AllSignificant);
    let a = start(&sup, &kids, "a", Restart::Transient, true);
    start(&sup, &kids, "b", Restart::Transient, true);
    settle().await;
    within(a.terminate()).await.unwrap();
    assert!(!sup.process().is_closing());
    kids.end("b", End::Ok).await;
    within(sup.process().closed()).await;
}

#[tokio::test(start_paused = true)]
async fn significant_on_a_permanent_child_is_refused_and_changes_nothing_else() {
    let kids = Kids::default();
    let sup = supervisor(&Process::new(), Strategy::OneForOne)
        .auto_shutdown(AutoShutdown::AnySignificant);
    let err = sup
        .child_spec("p", Restart::Permanent, kids.run("p"))
        .significant()
        .start()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.to_string()
            .contains("child `p` is Permanent and significant"),
        "{err}"
    );
    assert!(sup.children().is_empty());
    assert!(!sup.process().is_closing());
    start(&sup, &kids, "ok", Restart::Transient, true);
    within(sup.process().close()).await.unwrap();
}

/// auto_shutdown racing the supervisor's own close and the restart limit,
/// on two workers: whichever wins, the supervisor closes once, every run
/// is closed, and nothing hangs.
#[test]
fn auto_shutdown_racing_a_close_and_the_limit_closes_once_and_hangs_nothing() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        within(async {
            for i in 0..500 {
                let app = Process::new();
                let sup = Supervisor::new(&app, Strategy::OneForOne)
                    .auto_shutdown(AutoShutdown::AnySignificant)
                    .max_restarts(1, Duration::from_secs(60));
                let alive = Alive::default();
                let a = alive.clone();
                sup.child("server", Restart::Permanent, move |me| {
                    let token = a.token();
                    async move {
                        me.closing().await;
                        drop(token);
                    }
                })
                .unwrap();
                let a = alive.clone();
                // Ends at once: a significant transient that is done...
                sup.child_spec("done", Restart::Transient, move |_| {
                    let token = a.token();
                    async move { drop(token) }
                })
                .significant()
                .start()
                .unwrap();
                // ...and a child that breaks the limit at once (refused if
                // the auto shutdown has begun already, on the other worker).
                if i % 2 == 0 {
                    let added =
                        sup.child("crash", Restart::Permanent, |_| async { Err::<(), _>("x") });
                    if let Err(e) = added {
                        assert_eq!(e.kind(), ErrorKind::Closed);
                    }
                }
                tokio::task::yield_now().await;
                let result = app.close().await;
                assert!(sup.process().is_closed());
                assert_eq!(alive.count(), 0, "every run closed (iteration {i})");
                // Given up, or closed before the crash was handled (listed).
                if let Err(e) = result {
                    let kind = e.children()[0].error().kind();
                    assert!(
                        matches!(kind, ErrorKind::RestartLimit | ErrorKind::Children),
                        "{e}"
                    );
                }
            }
        })
        .await;
    });
}

// ---- child specs: a run's shutdown budget, readiness ----

#[tokio::test(start_paused = true)]
async fn a_child_s_shutdown_budget_bounds_its_run_s_close_when_the_supervisor_closes() {
    common::quiet_injected_panics();
    let app = Process::new().named("app");
    let kids = Kids::default();
    kids.stubborn("stuck");
    let sup = supervisor(&app, Strategy::OneForOne);
    start(&sup, &kids, "first", Restart::Permanent, false);
    sup.child_spec("stuck", Restart::Permanent, kids.run("stuck"))
        .shutdown(Duration::from_millis(300))
        .start()
        .unwrap();
    settle().await;
    let started = tokio::time::Instant::now();
    let err = within(app.close()).await.unwrap_err();
    assert_eq!(started.elapsed(), Duration::from_millis(300));
    // The overrun is the run's failure, listed by the supervisor; the
    // earlier child still closed, after it.
    let sup_err = err.children()[0].error();
    assert_eq!(err.children()[0].name(), "sup");
    assert_eq!(sup_err.children()[0].name(), "stuck");
    assert_eq!(sup_err.children()[0].error().kind(), ErrorKind::Timeout);
    assert_eq!(
        kids.events(),
        strings(&["start first", "start stuck", "stop first"])
    );
    settle().await;
    assert_eq!(kids.alive.count(), 0, "the stuck run's task was aborted");
}

#[tokio::test(start_paused = true)]
async fn a_child_s_shutdown_budget_applies_when_a_restart_closes_it() {
    let kids = Kids::default();
    kids.stubborn("stuck");
    let sup = supervisor(&Process::new(), Strategy::OneForAll);
    start(&sup, &kids, "crash", Restart::Permanent, false);
    sup.child_spec("stuck", Restart::Permanent, kids.run("stuck"))
        .shutdown(Duration::from_millis(100))
        .start()
        .unwrap();
    settle().await;
    let started = tokio::time::Instant::now();
    kids.end("crash", End::Err).await;
    within(async {
        while sup.children()[1].state() != ChildState::Running || sup.restarts() < 1 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    settle().await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(100) && took <= Duration::from_millis(101),
        "{took:?}"
    );
    assert_eq!(
        kids.events(),
        strings(&[
            "start crash",
            "start stuck",
            "end crash",
            "start crash",
            "start stuck"
        ])
    );
    // The overrun of a close for a restart is handled by that restart.
    kids.stubborn.lock().unwrap().clear();
    within(sup.process().close()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_shutdown_budget_shorter_than_the_teardown_cuts_the_teardown() {
    let app = Process::new();
    let sup = supervisor(&app, Strategy::OneForOne);
    let torn_down = Arc::new(AtomicUsize::new(0));
    let t = torn_down.clone();
    sup.child_spec("slow", Restart::Permanent, move |me: Process| {
        let t = t.clone();
        me.set_async_teardown(move || async move {
            tokio::time::sleep(Duration::from_secs(10)).await;
            t.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
        .unwrap();
        async move { me.closing().await }
    })
    .shutdown(Duration::from_millis(200))
    .start()
    .unwrap();
    settle().await;
    let started = tokio::time::Instant::now();
    let err = within(app.close()).await.unwrap_err();
    assert_eq!(started.elapsed(), Duration::from_millis(200));
    let slow = &err.children()[0].error().children()[0];
    assert_eq!(slow.name(), "slow");
    assert_eq!(slow.error().kind(), ErrorKind::Timeout);
    assert_eq!(torn_down.load(Ordering::SeqCst), 0, "the teardown was cut");
}

#[tokio::test]
async fn signals_ready_is_recorded_with_the_child() {
    let sup = supervisor(&Process::new(), Strategy::OneForOne);
    sup.child_spec(
        "db",
        Restart::Permanent,
        |me| async move { me.closing().await },
    )
    .signals_ready()
    .start()
    .unwrap();
    sup.child("plain", Restart::Permanent, |me| async move {
        me.closing().await
    })
    .unwrap();
    let children = sup.children();
    assert!(children[0].signals_ready());
    assert!(!children[1].signals_ready());
    within(sup.process().close()).await.unwrap();
}

// ---- handles: terminate and restart ----

#[tokio::test(start_paused = true)]
async fn terminate_closes_the_run_without_a_restart_and_restart_brings_it_back() {
    let app = Process::new().named("app");
    let restarted = Arc::new(AtomicUsize::new(0));
    let r = restarted.clone();
    app.on_event(move |e| {
        if matches!(e, Event::Restarted { .. }) {
            r.fetch_add(1, Ordering::SeqCst);
        }
    });
    let kids = Kids::default();
    let sup = supervisor(&app, Strategy::OneForOne);
    let w = start(&sup, &kids, "w", Restart::Permanent, false);
    assert_eq!(w.name(), "w");
    settle().await;
    let first = w.run().unwrap();
    within(w.terminate()).await.unwrap();
    assert!(first.is_closed());
    assert_eq!(first.close_cause(), Some(CloseCause::Asked));
    settle().await;
    assert_eq!(w.state(), ChildState::Terminated);
    assert!(w.run().is_none());
    assert_eq!(sup.restarts(), 0, "no restart counted");
    assert_eq!(restarted.load(Ordering::SeqCst), 0, "no Restarted event");

    w.restart().unwrap();
    settle().await;
    assert_eq!(w.state(), ChildState::Running);
    let second = w.run().unwrap();
    assert_ne!(second, first, "a fresh process");
    assert_eq!(second.name().as_deref(), Some("w"));
    assert_eq!(sup.restarts(), 0);
    within(app.close()).await.unwrap();
    assert_eq!(
        kids.events(),
        strings(&["start w", "stop w", "start w", "stop w"])
    );
}

#[tokio::test(start_paused = true)]
async fn restarting_a_running_child_or_one_in_backoff_is_refused() {
    let kids = Kids::default();
    let sup = supervisor(&Process::new(), Strategy::OneForOne)
        .backoff(Duration::from_secs(1), Duration::from_secs(1));
    let w = start(&sup, &kids, "w", Restart::Permanent, false);
    settle().await;
    let err = w.restart().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("child `w` is running"), "{err}");
    kids.end("w", End::Err).await;
    assert!(matches!(w.state(), ChildState::Backoff { .. }));
    let err = w.restart().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("being restarted"), "{err}");
    within(sup.process().close()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn terminate_twice_is_fine_and_after_the_supervisor_closed_is_refused() {
    let kids = Kids::default();
    let sup = supervisor(&Process::new(), Strategy::OneForOne);
    let w = start(&sup, &kids, "w", Restart::Permanent, false);
    settle().await;
    let (a, b) = (w.terminate(), w.terminate());
    within(a).await.unwrap();
    within(b).await.unwrap();
    assert_eq!(kids.events(), strings(&["start w", "stop w"]));
    within(sup.process().close()).await.unwrap();
    let err = within(w.terminate()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed);
    let err = w.restart().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed);
}

#[tokio::test(start_paused = true)]
async fn terminate_during_the_backoff_cancels_the_restart() {
    let kids = Kids::default();
    let sup = supervisor(&Process::new(), Strategy::OneForOne)
        .backoff(Duration::from_secs(1), Duration::from_secs(1));
    let w = start(&sup, &kids, "w", Restart::Permanent, false);
    settle().await;
    kids.end("w", End::Err).await;
    let ChildState::Backoff { until } = w.state() else {
        panic!("in backoff: {:?}", w.state())
    };
    within(w.terminate()).await.unwrap();
    tokio::time::sleep_until(until + Duration::from_secs(1)).await;
    settle().await;
    assert_eq!(w.state(), ChildState::Terminated);
    assert_eq!(kids.events(), strings(&["start w", "end w"]));
    w.restart().unwrap();
    settle().await;
    assert_eq!(kids.events(), strings(&["start w", "end w", "start w"]));
    within(sup.process().close()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_terminated_child_stays_down_through_a_sibling_s_group_restart() {
    let kids = Kids::default();
    let sup = supervisor(&Process::new(), Strategy::OneForAll);
    start(&sup, &kids, "a", Restart::Permanent, false);
    let b = start(&sup, &kids, "b", Restart::Permanent, false);
    start(&sup, &kids, "c", Restart::Permanent, false);
    settle().await;
    within(b.terminate()).await.unwrap();
    kids.end("a", End::Err).await;
    assert_eq!(
        kids.events(),
        strings(&[
            "start a", "start b", "start c", "stop b", "end a", "stop c", "start a", "start c"
        ])
    );
    assert_eq!(b.state(), ChildState::Terminated);
    b.restart().unwrap();
    settle().await;
    within(sup.process().close()).await.unwrap();
    // The shutdown closes them the last added first.
    let events = kids.events();
    assert_eq!(&events[8..], ["start b", "stop c", "stop b", "stop a"]);
}

#[tokio::test(start_paused = true)]
async fn terminate_during_a_group_restart_keeps_the_child_down() {
    let kids = Kids::default();
    kids.stubborn("slow");
    let sup = supervisor(&Process::new(), Strategy::OneForAll);
    start(&sup, &kids, "a", Restart::Permanent, false);
    let slow = sup
        .child_spec("slow", Restart::Permanent, kids.run("slow"))
        .shutdown(Duration::from_millis(500))
        .start()
        .unwrap();
    settle().await;
    kids.end("a", End::Err).await; // the restart closes `slow`: 500 ms
    assert_eq!(slow.state(), ChildState::Restarting);
    let terminated = within(slow.terminate()).await; // waits for that close
    assert_eq!(terminated.unwrap_err().kind(), ErrorKind::Timeout);
    settle().await;
    assert_eq!(slow.state(), ChildState::Terminated);
    assert_eq!(
        kids.events(),
        strings(&["start a", "start slow", "end a", "start a"])
    );
    // No restart handles the overrun of a terminated run: listed.
    let err = within(sup.process().close()).await.unwrap_err();
    assert_eq!(err.children()[0].name(), "slow");
    assert_eq!(err.children()[0].error().kind(), ErrorKind::Timeout);
}

#[tokio::test(start_paused = true)]
async fn a_terminated_run_s_failure_is_returned_and_listed() {
    let sup = supervisor(&Process::new(), Strategy::OneForOne);
    let w = sup
        .child_spec("w", Restart::Permanent, |me: Process| async move {
            me.closing().await;
            Err::<(), _>("failed while stopping")
        })
        .start()
        .unwrap();
    settle().await;
    let err = within(w.terminate()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Function);
    let err = within(sup.process().close()).await.unwrap_err();
    assert_eq!(err.children()[0].name(), "w");
}

#[tokio::test(start_paused = true)]
async fn terminate_awaited_inside_the_child_s_own_run_returns_at_once() {
    let sup = supervisor(&Process::new(), Strategy::OneForOne);
    let handle: Arc<Mutex<Option<SupervisedChild>>> = Arc::default();
    let h = handle.clone();
    let done = Arc::new(tokio::sync::Notify::new());
    let d = done.clone();
    let w = sup
        .child_spec("w", Restart::Permanent, move |_me| {
            let (h, d) = (h.clone(), d.clone());
            async move {
                let me = h.lock().unwrap().clone().unwrap();
                within(me.terminate()).await.unwrap(); // its own run
                d.notify_one();
            }
        })
        .start()
        .unwrap();
    *handle.lock().unwrap() = Some(w.clone());
    within(done.notified()).await;
    settle().await;
    assert_eq!(w.state(), ChildState::Terminated);
    assert_eq!(sup.restarts(), 0);
    within(sup.process().close()).await.unwrap();
}

// ---- which_children: snapshots and reports ----

#[tokio::test(start_paused = true)]
async fn snapshots_list_each_child_of_a_supervisor_with_its_state() {
    let app = Process::new().named("app");
    let kids = Kids::default();
    let sup = supervisor(&app, Strategy::OneForOne)
        .backoff(Duration::from_secs(2), Duration::from_secs(2));
    start(&sup, &kids, "running", Restart::Permanent, false);
    let waiting = start(&sup, &kids, "waiting", Restart::Permanent, false);
    let stopped = start(&sup, &kids, "stopped", Restart::Permanent, false);
    start(&sup, &kids, "done", Restart::Transient, false);
    settle().await;
    kids.end("waiting", End::Err).await;
    within(stopped.terminate()).await.unwrap();
    kids.end("done", End::Ok).await;

    let snapshot = app.snapshot();
    let info = snapshot.get(sup.process().id()).unwrap();
    assert!(info.is_supervisor());
    let states: Vec<(String, String)> = info
        .supervised()
        .iter()
        .map(|c| (c.name().to_string(), c.state().to_string()))
        .collect();
    assert_eq!(
        states,
        [
            ("running".to_string(), "running".to_string()),
            ("waiting".to_string(), "in backoff".to_string()),
            ("stopped".to_string(), "terminated".to_string()),
            ("done".to_string(), "ended".to_string()),
        ]
    );
    let backoff = &info.supervised()[1];
    let wait = backoff.restart_in().unwrap();
    assert!(
        wait >= Duration::from_millis(1800) && wait <= Duration::from_millis(2200),
        "{wait:?}"
    );
    let ChildState::Backoff { until } = waiting.state() else {
        panic!()
    };
    assert!(until > tokio::time::Instant::now());
    assert_eq!(info.supervised()[0].run(), sup.children()[0].run());
    assert!(info.supervised()[0].run().is_some());
    assert!(!snapshot.get(app.id()).unwrap().is_supervisor());

    let text = snapshot.to_string();
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.split(" [").next().unwrap())
        .collect();
    assert_eq!(lines.len(), 6, "{text}");
    assert_eq!(&lines[1..3], ["└── sup", "    ├── running"], "{text}");
    assert!(
        lines[3].starts_with("    ├╌╌ waiting (in backoff, restarts in ")
            && lines[3].ends_with("s)"),
        "{text}"
    );
    assert_eq!(
        &lines[4..],
        ["    ├╌╌ stopped (terminated)", "    └╌╌ done (ended)"],
        "{text}"
    );
    within(app.close()).await.unwrap();
}

/// A supervisor's line in a shutdown report says it waits for its runs
/// (its function is its loop, which closes them), not for "its function".
#[tokio::test(start_paused = true)]
async fn a_supervisor_s_report_line_says_it_waits_for_its_runs() {
    let app = Process::new().named("app");
    let kids = Kids::default();
    kids.stubborn("stuck");
    let sup = supervisor(&app, Strategy::OneForOne);
    start(&sup, &kids, "stuck", Restart::Permanent, false);
    settle().await;
    let closing = tokio::spawn(app.close());
    settle().await;
    let report = app.shutdown_report().to_string();
    let line = report
        .lines()
        .find(|l| l.starts_with("`app/sup`"))
        .unwrap_or_else(|| panic!("{report}"));
    assert!(line.ends_with("waits for its runs `stuck`)"), "{line}");
    assert!(!line.contains("its function"), "{line}");
    closing.abort();
}

// ---- a supervisor as a struct field ----

#[process]
struct Service {
    #[child]
    http: Process,
    #[child]
    #[wait_for(http)]
    workers: Supervisor,
}

#[tokio::test(start_paused = true)]
async fn a_root_supervisor_is_a_struct_field_named_after_it_and_closed_in_its_order() {
    let kids = Kids::default();
    let http = Process::new();
    http.set_teardown(kids.log.teardown("http closed")).unwrap();
    let workers = Supervisor::root(Strategy::OneForOne);
    start(&workers, &kids, "w1", Restart::Permanent, false);
    start(&workers, &kids, "w2", Restart::Permanent, false);
    let service = Service { http, workers }.start();
    settle().await;
    assert_eq!(service.workers.process().name().as_deref(), Some("workers"));
    kids.end("w1", End::Err).await;
    assert_eq!(service.workers.restarts(), 1);
    within(service.process().close()).await.unwrap();
    assert_eq!(
        kids.events(),
        strings(&[
            "start w1",
            "start w2",
            "end w1",
            "start w1",
            "http closed",
            "stop w2",
            "stop w1"
        ])
    );
}

// ---- limits ----

#[tokio::test(start_paused = true)]
async fn unlimited_restarts_never_give_up() {
    let sup = Supervisor::new(&Process::new(), Strategy::OneForOne).unlimited_restarts();
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    sup.child("crash", Restart::Permanent, move |_| {
        r.fetch_add(1, Ordering::SeqCst);
        async { Err::<(), _>("x") }
    })
    .unwrap();
    within(async {
        while runs.load(Ordering::SeqCst) < 5_000 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(sup.restarts() >= 4_999);
    assert!(!sup.process().is_closing());
    // The run that failed as the supervisor closed is listed.
    let _ = within(sup.process().close()).await;
}

/// Unlike before, absurd arguments are refused up front: a backoff of
/// `Duration::MAX` used to be accepted, then panic in the supervisor's
/// loop at the first restart ("cannot convert float seconds to
/// Duration"), leaving its children running and its parent's close
/// hanging.
#[tokio::test(start_paused = true)]
async fn absurd_backoffs_are_refused_up_front() {
    let s = Duration::from_secs;
    let cases = [
        (
            Supervisor::new(&Process::new(), Strategy::OneForOne)
                .backoff(Duration::MAX, Duration::MAX),
            "a wait of more than a year is no restart at all",
        ),
        (
            Supervisor::new(&Process::new(), Strategy::OneForOne).backoff(s(0), s(1)),
            "a first wait of zero never grows by doubling",
        ),
    ];
    for (sup, message) in cases {
        let err = sup
            .child("w", Restart::Permanent, |_| async {})
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains(message), "{err}");
        assert_eq!(
            within(sup.process().err()).await.unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }
    // Zero on both ends is no backoff, and a year is the most.
    let app = Process::new();
    for (first, max) in [(s(0), s(0)), (s(1), s(365 * 24 * 3600))] {
        let sup = Supervisor::new(&app, Strategy::OneForOne).backoff(first, max);
        sup.child(
            "w",
            Restart::Permanent,
            |me| async move { me.closing().await },
        )
        .unwrap();
    }
    within(app.close()).await.unwrap();
}

// ---- the loop survives its subscribers ----

/// A subscriber that panics on `Restarted` used to kill the supervisor's
/// loop: its children were never closed and its parent's close hung. The
/// panic is reported and the supervisor goes on.
#[tokio::test(start_paused = true)]
async fn a_subscriber_panicking_on_restarted_does_not_stop_the_supervisor() {
    common::quiet_injected_panics();
    let app = Process::new().named("app");
    app.on_event(|e| {
        if matches!(e, Event::Restarted { .. }) {
            panic!("injected: a subscriber panicked");
        }
    });
    let kids = Kids::default();
    for strategy in [Strategy::OneForOne, Strategy::OneForAll] {
        let sup = supervisor(&app, strategy);
        start(&sup, &kids, "db", Restart::Permanent, false);
        start(&sup, &kids, "w", Restart::Permanent, false);
        settle().await;
        kids.end("w", End::Err).await;
        kids.end("w", End::Err).await;
        assert_eq!(sup.restarts(), 2);
        within(sup.process().close()).await.unwrap();
    }
    within(app.close()).await.unwrap();
    let stops = kids
        .events()
        .iter()
        .filter(|e| e.starts_with("stop db"))
        .count();
    assert!(stops >= 2, "db closed each time: {:?}", kids.events());
}

// ---- the supervisor's order is a wait ----

/// A later child's run waiting for an earlier child's run contradicts the
/// supervisor's shutdown order (the later closes first, and would wait for
/// the earlier, which is closed after it): refused as a cycle instead of
/// hanging the shutdown. The other way round agrees with it.
#[tokio::test(start_paused = true)]
async fn a_wait_for_against_the_supervisor_s_order_is_refused_as_a_cycle() {
    let app = Process::new();
    let sup = supervisor(&app, Strategy::OneForOne);
    let runs: Arc<Mutex<HashMap<&'static str, Process>>> = Arc::default();
    for name in ["early", "late"] {
        let r = runs.clone();
        sup.child(name, Restart::Permanent, move |me: Process| {
            r.lock().unwrap().insert(name, me.clone());
            async move { me.closing().await }
        })
        .unwrap();
    }
    settle().await;
    let (early, late) = {
        let r = runs.lock().unwrap();
        (r["early"].clone(), r["late"].clone())
    };
    let err = late.wait_for(&early).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cycle);
    // A wait of a later child's run's own child is refused too.
    let part = Process::with_parent(&late);
    assert_eq!(part.wait_for(&early).unwrap_err().kind(), ErrorKind::Cycle);
    early.wait_for(&late).unwrap(); // the supervisor's own order
    within(app.close()).await.unwrap();
}

/// The order holds for runs restarted later, and memory does not grow with
/// the restarts of a later sibling.
#[tokio::test(start_paused = true)]
async fn the_order_follows_restarted_runs() {
    let kids = Kids::default();
    let app = Process::new();
    let sup = supervisor(&app, Strategy::OneForOne).unlimited_restarts();
    let runs: Arc<Mutex<HashMap<&'static str, Process>>> = Arc::default();
    let r = runs.clone();
    sup.child("early", Restart::Permanent, move |me: Process| {
        r.lock().unwrap().insert("early", me.clone());
        async move { me.closing().await }
    })
    .unwrap();
    let r = runs.clone();
    let late_run = kids.run("late");
    sup.child("late", Restart::Permanent, move |me: Process| {
        r.lock().unwrap().insert("late", me.clone());
        late_run(me)
    })
    .unwrap();
    settle().await;
    for _ in 0..100 {
        kids.end("late", End::Err).await;
    }
    let (early, late) = {
        let r = runs.lock().unwrap();
        (r["early"].clone(), r["late"].clone())
    };
    assert_eq!(late.wait_for(&early).unwrap_err().kind(), ErrorKind::Cycle);
    within(app.close()).await.unwrap();
}

// ---- races ----

/// Restarts made in the runs' own tasks racing `terminate`, `restart` and
/// the supervisor's close, on two workers: every run ends up closed,
/// nothing hangs, and a terminated child is never restarted by itself.
#[test]
fn restarts_in_the_run_s_task_racing_terminate_restart_and_close() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        within(async {
            for i in 0..10_000 {
                let app = Process::new();
                let sup = Supervisor::new(&app, Strategy::OneForOne).unlimited_restarts();
                let alive = Alive::default();
                let a = alive.clone();
                let flaky = sup
                    .child_spec("flaky", Restart::Permanent, move |_| {
                        let token = a.token();
                        async move {
                            tokio::task::yield_now().await;
                            drop(token);
                            Err::<(), _>("x")
                        }
                    })
                    .start()
                    .unwrap();
                let a = alive.clone();
                sup.child("steady", Restart::Permanent, move |me| {
                    let token = a.token();
                    async move {
                        me.closing().await;
                        drop(token);
                    }
                })
                .unwrap();
                let f = flaky.clone();
                let handles = tokio::spawn(async move {
                    match f.terminate().await {
                        // Refused: the supervisor is closing its children.
                        Err(e) if e.kind() == ErrorKind::Closed => {}
                        // Terminated (the run may have failed on its own
                        // just then): down until restarted.
                        _ => assert_eq!(f.state(), ChildState::Terminated),
                    }
                    let _ = f.restart();
                });
                if i % 3 == 0 {
                    tokio::task::yield_now().await;
                }
                let _ = app.close().await;
                handles.await.unwrap();
                assert!(sup.process().is_closed());
                assert!(flaky.run().is_none_or(|r| r.is_closed()));
                let left = tokio::time::timeout(Duration::from_secs(5), async {
                    while alive.count() > 0 {
                        tokio::task::yield_now().await;
                    }
                })
                .await;
                assert!(left.is_ok(), "a run left running (iteration {i})");
            }
        })
        .await;
    });
}
