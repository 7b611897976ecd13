//! Supervision: one test per rule of the contract. Strategies (who
//! restarts, the exact order of closes and starts), restart types,
//! intensity (exact count, sliding window), backoff (doubling, cap, reset,
//! cancelled by a close, jitter), the `RestartLimit` error, which failures
//! the supervisor's error lists, reverse-order shutdown, the supervisor's
//! own `OnFailure`, bad input, and a supervisor as a `#[child]` field.
//!
//! Children are driven by hand: each run records `start x`, then waits for
//! a command (`end x` with a result) or for its close (`stop x`). Time is
//! paused, so every instant is exact.

mod common;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Log, within};
use goprocess::events::Event;
use goprocess::supervise::{JITTER, Restart, Strategy, Supervisor};
use goprocess::{CloseCause, Error, ErrorKind, OnFailure, Process, Start, process};
use tokio::sync::oneshot;
use tokio::time::Instant;

/// How a run ends when told to.
#[derive(Clone, Copy, Debug)]
enum End {
    Ok,
    Err,
    Panic,
}

type RunFuture = Pin<Box<dyn Future<Output = Result<(), &'static str>> + Send>>;

/// Children whose runs record themselves and end when told to.
#[derive(Clone, Default)]
struct Children {
    log: Log,
    /// How many events `clear` has hidden.
    cleared: Arc<std::sync::atomic::AtomicUsize>,
    /// The running run of each child: where to send its end.
    ends: Arc<Mutex<HashMap<&'static str, oneshot::Sender<End>>>>,
    /// When each run of each child started.
    starts: Arc<Mutex<HashMap<&'static str, Vec<Instant>>>>,
    /// Notified at each start.
    started: Arc<tokio::sync::Notify>,
    /// When each run of each child was told to end.
    ended: Arc<Mutex<HashMap<&'static str, Vec<Instant>>>>,
    /// How long a run takes to stop once closed (0: at once).
    stop_delay: Arc<Mutex<HashMap<&'static str, Duration>>>,
}

impl Children {
    fn new() -> Children {
        Children::default()
    }

    /// The function of child `name`.
    fn run(&self, name: &'static str) -> impl Fn(Process) -> RunFuture + Send + Sync + 'static {
        let this = self.clone();
        move |me: Process| {
            let this = this.clone();
            Box::pin(async move {
                let (tx, rx) = oneshot::channel();
                this.ends.lock().unwrap().insert(name, tx);
                this.starts
                    .lock()
                    .unwrap()
                    .entry(name)
                    .or_default()
                    .push(Instant::now());
                this.log.push(format!("start {name}"));
                this.started.notify_waiters();
                tokio::select! {
                    end = rx => {
                        this.log.push(format!("end {name}"));
                        match end.expect("the test keeps the sender until it sends") {
                            End::Ok => Ok(()),
                            End::Err => Err("crashed"),
                            End::Panic => panic!("injected: {name} panicked"),
                        }
                    }
                    _ = me.closing() => {
                        let delay = this.stop_delay.lock().unwrap().get(name).copied();
                        if let Some(delay) = delay {
                            this.log.push(format!("stopping {name}"));
                            tokio::time::sleep(delay).await;
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
        self.ended
            .lock()
            .unwrap()
            .entry(name)
            .or_default()
            .push(Instant::now());
        settle().await;
    }

    fn slow_stop(&self, name: &'static str, delay: Duration) {
        self.stop_delay.lock().unwrap().insert(name, delay);
    }

    fn starts(&self, name: &'static str) -> Vec<Instant> {
        self.starts
            .lock()
            .unwrap()
            .get(name)
            .cloned()
            .unwrap_or_default()
    }

    /// How long each restart of `name` waited: from the end of a run to
    /// the start of the next.
    fn waits(&self, name: &'static str) -> Vec<Duration> {
        let ended = self
            .ended
            .lock()
            .unwrap()
            .get(name)
            .cloned()
            .unwrap_or_default();
        self.starts(name)
            .iter()
            .skip(1)
            .zip(ended)
            .map(|(start, end)| *start - end)
            .collect()
    }

    /// Waits until `name` has started `runs` runs.
    async fn runs(&self, name: &'static str, runs: usize) {
        within(async {
            loop {
                let started = self.started.notified();
                let mut started = std::pin::pin!(started);
                started.as_mut().enable();
                if self.starts(name).len() >= runs {
                    return;
                }
                started.await;
            }
        })
        .await;
        settle().await;
    }

    /// The events since the last `clear`.
    fn events(&self) -> Vec<String> {
        let cleared = self.cleared.load(std::sync::atomic::Ordering::SeqCst);
        self.log.events().split_off(cleared)
    }

    fn clear(&self) {
        let seen = self.log.events().len();
        self.cleared
            .store(seen, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Lets every task that can run, run, without moving the paused clock.
async fn settle() {
    for _ in 0..64 {
        tokio::task::yield_now().await;
    }
}

/// Waits (bounded) until `done`, letting the paused clock move a
/// millisecond (tokio's timer resolution) at a time.
async fn until(mut done: impl FnMut() -> bool) {
    within(async {
        loop {
            settle().await;
            if done() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
}

/// A supervisor under `app` with children `names` (all `restart`),
/// started, with a generous limit.
async fn supervised(
    app: &Process,
    strategy: Strategy,
    children: &Children,
    names: &[&'static str],
    restart: Restart,
) -> Supervisor {
    let sup = Supervisor::new(app, strategy)
        .named("sup")
        .max_restarts(100, Duration::from_secs(1));
    for name in names {
        sup.child(*name, restart, children.run(name)).unwrap();
    }
    settle().await;
    sup
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

// ---- strategies ----

#[tokio::test(start_paused = true)]
async fn one_for_one_restarts_only_the_child_that_closed() {
    let app = Process::new().named("app");
    let c = Children::new();
    let sup = supervised(
        &app,
        Strategy::OneForOne,
        &c,
        &["a", "b", "c"],
        Restart::Permanent,
    )
    .await;
    c.end("b", End::Err).await;
    assert_eq!(
        c.events(),
        strings(&["start a", "start b", "start c", "end b", "start b"])
    );
    assert_eq!(sup.restarts(), 1);
    within(app.close()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn one_for_all_closes_the_others_in_reverse_order_then_starts_all_in_order() {
    let app = Process::new().named("app");
    let c = Children::new();
    let sup = supervised(
        &app,
        Strategy::OneForAll,
        &c,
        &["a", "b", "c", "d"],
        Restart::Permanent,
    )
    .await;
    c.clear();
    c.end("b", End::Err).await;
    assert_eq!(
        c.events(),
        strings(&[
            "end b", "stop d", "stop c", "stop a", "start a", "start b", "start c", "start d"
        ])
    );
    assert_eq!(sup.restarts(), 1, "one event, one restart");
    within(app.close()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn rest_for_one_closes_the_later_ones_in_reverse_order_then_starts_them_in_order() {
    let app = Process::new().named("app");
    let c = Children::new();
    let sup = supervised(
        &app,
        Strategy::RestForOne,
        &c,
        &["a", "b", "c", "d"],
        Restart::Permanent,
    )
    .await;
    c.clear();
    c.end("b", End::Err).await;
    assert_eq!(
        c.events(),
        strings(&["end b", "stop d", "stop c", "start b", "start c", "start d"])
    );
    c.clear();
    c.end("d", End::Err).await;
    assert_eq!(
        c.events(),
        strings(&["end d", "start d"]),
        "the last one alone"
    );
    assert_eq!(sup.restarts(), 2);
    within(app.close()).await.unwrap();
}

/// Children closed for a restart close one at a time: each once the later
/// ones are Closed.
#[tokio::test(start_paused = true)]
async fn children_closed_for_a_restart_close_one_at_a_time() {
    let app = Process::new().named("app");
    let c = Children::new();
    for name in ["a", "b", "c"] {
        c.slow_stop(name, Duration::from_millis(100));
    }
    let _sup = supervised(
        &app,
        Strategy::OneForAll,
        &c,
        &["a", "b", "c", "d"],
        Restart::Permanent,
    )
    .await;
    c.clear();
    let start = Instant::now();
    c.end("d", End::Err).await;
    c.runs("d", 2).await;
    assert_eq!(
        c.events(),
        strings(&[
            "end d",
            "stopping c",
            "stop c",
            "stopping b",
            "stop b",
            "stopping a",
            "stop a",
            "start a",
            "start b",
            "start c",
            "start d"
        ])
    );
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
    within(app.close()).await.unwrap();
}

// ---- restart types ----

#[tokio::test(start_paused = true)]
async fn permanent_is_restarted_after_ok_err_and_panic() {
    common::quiet_injected_panics();
    let app = Process::new().named("app");
    let c = Children::new();
    let sup = supervised(&app, Strategy::OneForOne, &c, &["w"], Restart::Permanent).await;
    for end in [End::Ok, End::Err, End::Panic] {
        c.end("w", end).await;
    }
    assert_eq!(c.starts("w").len(), 4);
    assert_eq!(sup.restarts(), 3);
    within(app.close()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn transient_is_restarted_only_after_a_failure() {
    common::quiet_injected_panics();
    let app = Process::new().named("app");
    let c = Children::new();
    let sup = supervised(&app, Strategy::OneForOne, &c, &["w"], Restart::Transient).await;
    c.end("w", End::Err).await;
    c.end("w", End::Panic).await;
    assert_eq!(c.starts("w").len(), 3, "restarted after Err and panic");
    c.end("w", End::Ok).await;
    assert_eq!(c.starts("w").len(), 3, "not after Ok");
    assert_eq!(sup.restarts(), 2);
    assert!(!sup.process().is_closing());
    within(app.close()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn temporary_is_never_restarted_and_its_failure_is_listed() {
    let app = Process::new().named("app");
    let c = Children::new();
    let sup = Supervisor::new(&app, Strategy::OneForOne).named("sup");
    sup.child("once", Restart::Temporary, c.run("once"))
        .unwrap();
    sup.child("job", Restart::Temporary, c.run("job")).unwrap();
    settle().await;
    c.end("once", End::Ok).await;
    c.end("job", End::Err).await;
    assert_eq!(c.starts("once").len(), 1);
    assert_eq!(c.starts("job").len(), 1);
    assert_eq!(sup.restarts(), 0);
    let err = within(sup.process().close()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Children, "{err}");
    let listed: Vec<&str> = err.children().iter().map(|c| c.name()).collect();
    assert_eq!(listed, ["job"], "a clean end is no failure");
    assert_eq!(err.children()[0].error().kind(), ErrorKind::Function);
    let _ = app.close().await;
}

/// A `Temporary` sibling taken along by a restart is closed, and not
/// started again.
#[tokio::test(start_paused = true)]
async fn a_temporary_sibling_taken_along_is_closed_and_not_started_again() {
    let app = Process::new().named("app");
    let c = Children::new();
    let sup = Supervisor::new(&app, Strategy::OneForAll).named("sup");
    sup.child("a", Restart::Permanent, c.run("a")).unwrap();
    sup.child("t", Restart::Temporary, c.run("t")).unwrap();
    sup.child("c", Restart::Permanent, c.run("c")).unwrap();
    settle().await;
    c.clear();
    c.end("a", End::Err).await;
    assert_eq!(
        c.events(),
        strings(&["end a", "stop c", "stop t", "start a", "start c"])
    );
    c.clear();
    c.end("c", End::Err).await;
    assert_eq!(
        c.events(),
        strings(&["end c", "stop a", "start a", "start c"])
    );
    within(app.close()).await.unwrap();
}

/// A run's own `OnFailure` does not apply under a supervisor: its
/// `Restart` decides.
#[tokio::test(start_paused = true)]
async fn a_run_s_own_on_failure_does_not_apply_under_a_supervisor() {
    let app = Process::new().named("app");
    let sup = Supervisor::new(&app, Strategy::OneForOne).named("sup");
    let runs = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let r = runs.clone();
    sup.child("w", Restart::Permanent, move |me| {
        let r = r.clone();
        async move {
            me.set_on_failure(OnFailure::Propagate);
            if r.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                return Err("first run fails");
            }
            me.closing().await;
            Ok(())
        }
    })
    .unwrap();
    until(|| sup.restarts() >= 1).await;
    settle().await;
    assert!(!sup.process().is_closing(), "the failure did not propagate");
    assert!(!app.is_closing());
    within(app.close()).await.unwrap();
}

// ---- intensity ----

/// A child that fails at once, every run.
fn crashing(
    log: &Log,
    name: &'static str,
) -> impl Fn(Process) -> RunFuture + Send + Sync + 'static {
    let log = log.clone();
    move |_me| {
        log.push(format!("start {name}"));
        Box::pin(async { Err("crashed") })
    }
}

/// A child that fails `every` after its start, every run (or stops
/// cleanly when closed first).
fn crashing_every(every: Duration) -> impl Fn(Process) -> RunFuture + Send + Sync + 'static {
    move |me| {
        Box::pin(async move {
            tokio::select! {
                _ = tokio::time::sleep(every) => Err("crashed"),
                _ = me.closing() => Ok(()),
            }
        })
    }
}

#[tokio::test(start_paused = true)]
async fn at_most_max_restarts_then_restart_limit() {
    let log = Log::new();
    let sup = Supervisor::new(&Process::new(), Strategy::OneForOne)
        .named("sup")
        .max_restarts(4, Duration::from_secs(5));
    sup.child("w", Restart::Permanent, crashing(&log, "w"))
        .unwrap();
    let err = within(sup.process().err()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RestartLimit);
    assert_eq!(log.events().len(), 5, "the first run and 4 restarts");
    assert_eq!(sup.restarts(), 4);
}

#[tokio::test(start_paused = true)]
async fn the_default_limit_is_three_restarts_within_five_seconds() {
    let log = Log::new();
    let sup = Supervisor::new(&Process::new(), Strategy::OneForOne);
    sup.child("w", Restart::Permanent, crashing(&log, "w"))
        .unwrap();
    let err = within(sup.process().err()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RestartLimit);
    assert_eq!(sup.restarts(), 3);
    assert!(err.to_string().contains("3 restarts within 5s"), "{err}");
}

/// The window slides: a failure every 3 s never puts more than 2 restarts
/// in any 5 s, so it runs on; one every 2 s puts a third restart 4 s after
/// the first, which breaks the limit.
#[tokio::test(start_paused = true)]
async fn the_window_slides() {
    let s = Duration::from_secs;
    let app = Process::new();
    let slow = Supervisor::new(&app, Strategy::OneForOne).max_restarts(2, s(5));
    slow.child("w", Restart::Permanent, crashing_every(s(3)))
        .unwrap();
    tokio::time::sleep(s(31)).await;
    assert_eq!(slow.restarts(), 10);
    assert!(!slow.process().is_closing());

    let start = Instant::now();
    let fast = Supervisor::new(&app, Strategy::OneForOne).max_restarts(2, s(5));
    fast.child("w", Restart::Permanent, crashing_every(s(2)))
        .unwrap();
    let err = within(fast.process().err()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RestartLimit);
    assert_eq!(start.elapsed(), s(6));
    assert_eq!(fast.restarts(), 2);
    let err = within(app.close()).await.unwrap_err();
    assert_eq!(err.children().len(), 1, "only the one that gave up: {err}");
}

/// A restart exactly `within` after an earlier one still counts with it
/// (OTP's period includes its boundary); one a tick later no longer does.
#[tokio::test(start_paused = true)]
async fn a_restart_exactly_a_window_after_another_counts_with_it() {
    let s = Duration::from_secs;
    let app = Process::new();
    let start = Instant::now();
    let boundary = Supervisor::new(&app, Strategy::OneForOne).max_restarts(1, s(5));
    boundary
        .child("w", Restart::Permanent, crashing_every(s(5)))
        .unwrap();
    // (`within` bounds a wait by 10 s of this paused clock: too short here.)
    tokio::time::timeout(s(30), boundary.process().closed())
        .await
        .expect("the second restart broke the limit");
    assert_eq!(
        start.elapsed(),
        s(10),
        "the second restart, 5 s after the first"
    );
    let err = boundary.process().err().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RestartLimit);
    assert_eq!(boundary.restarts(), 1);

    let past = Supervisor::new(&app, Strategy::OneForOne).max_restarts(1, s(5));
    past.child(
        "w",
        Restart::Permanent,
        crashing_every(s(5) + Duration::from_millis(1)),
    )
    .unwrap();
    tokio::time::sleep(s(21)).await;
    assert_eq!(past.restarts(), 4);
    assert!(!past.process().is_closing());
    let err = within(app.close()).await.unwrap_err();
    assert_eq!(err.children().len(), 1, "only the one that gave up: {err}");
}

// ---- the RestartLimit error ----

#[tokio::test(start_paused = true)]
async fn the_restart_limit_error_says_which_child_how_many_and_lists_the_failure() {
    let app = Process::new().named("app");
    let log = Log::new();
    let sup = Supervisor::new(&app, Strategy::OneForOne)
        .named("pool")
        .max_restarts(2, Duration::from_secs(10));
    sup.child("worker", Restart::Permanent, crashing(&log, "worker"))
        .unwrap();
    let err = within(sup.process().err()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RestartLimit);
    assert_eq!(err.process_name(), Some("pool"));
    let text = err.to_string();
    assert!(
        text.contains("child `worker` failed after 2 restarts within 10s"),
        "{text}"
    );
    assert_eq!(
        err.children().len(),
        1,
        "the failure that broke the limit: {text}"
    );
    assert_eq!(err.children()[0].name(), "worker");
    assert_eq!(err.children()[0].error().kind(), ErrorKind::Function);
    assert!(text.contains("crashed"), "{text}");
    assert_eq!(sup.process().close_cause(), Some(CloseCause::RestartLimit));
    let _ = app.close().await;
}

#[tokio::test(start_paused = true)]
async fn a_permanent_child_returning_ok_breaks_the_limit_with_nothing_to_list() {
    let sup = Supervisor::new(&Process::new(), Strategy::OneForOne)
        .named("sup")
        .max_restarts(1, Duration::from_secs(5));
    sup.child("tick", Restart::Permanent, |_| async {}).unwrap();
    let err = within(sup.process().err()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RestartLimit);
    let text = err.to_string();
    assert!(
        text.contains("child `tick` returned after 1 restart within 5s"),
        "{text}"
    );
    assert!(err.children().is_empty(), "{text}");
}

#[tokio::test(start_paused = true)]
async fn a_failure_handled_by_a_restart_is_not_in_the_supervisor_s_error() {
    common::quiet_injected_panics();
    let app = Process::new().named("app");
    let c = Children::new();
    let sup = supervised(&app, Strategy::OneForOne, &c, &["w"], Restart::Transient).await;
    c.end("w", End::Err).await;
    c.end("w", End::Panic).await;
    assert_eq!(sup.restarts(), 2);
    within(sup.process().close()).await.unwrap();
    within(app.close()).await.unwrap();
}

/// A failure nobody restarts, during the supervisor's shutdown (a child's
/// teardown), is listed like any child's.
#[tokio::test(start_paused = true)]
async fn a_child_failing_while_the_supervisor_shuts_down_is_listed() {
    let app = Process::new().named("app");
    let sup = Supervisor::new(&app, Strategy::OneForOne).named("sup");
    sup.child("flaky", Restart::Permanent, |me| async move {
        me.closing().await;
        Err::<(), _>("lost the last batch")
    })
    .unwrap();
    settle().await;
    let err = within(sup.process().close()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Children, "{err}");
    assert_eq!(err.children()[0].name(), "flaky");
    let _ = app.close().await;
}

// ---- backoff ----

/// `wait` is within the jitter of `nominal`, give or take tokio's timer
/// resolution (a sleep ends on the next millisecond).
fn assert_near(wait: Duration, nominal: Duration) {
    let gap = wait;
    let low = nominal.mul_f64(1.0 - JITTER);
    let high = nominal.mul_f64(1.0 + JITTER) + Duration::from_millis(1);
    assert!(
        gap >= low && gap <= high,
        "{gap:?} is not within {nominal:?} ±{JITTER}"
    );
}

#[tokio::test(start_paused = true)]
async fn backoff_doubles_up_to_its_maximum() {
    let ms = Duration::from_millis;
    let app = Process::new();
    let c = Children::new();
    let sup = Supervisor::new(&app, Strategy::OneForOne)
        .max_restarts(100, Duration::from_secs(60))
        .backoff(ms(100), ms(400));
    sup.child("w", Restart::Permanent, c.run("w")).unwrap();
    settle().await;
    for n in 2..=6 {
        c.end("w", End::Err).await;
        c.runs("w", n).await;
    }
    let waits = c.waits("w");
    assert_eq!(waits.len(), 5);
    for (wait, nominal) in waits.iter().zip([100, 200, 400, 400, 400]) {
        assert_near(*wait, ms(nominal));
    }
    within(app.close()).await.unwrap();
}

/// The backoff starts over once a run stayed up for the maximum.
#[tokio::test(start_paused = true)]
async fn backoff_starts_over_after_a_run_stayed_up_for_its_maximum() {
    let ms = Duration::from_millis;
    let app = Process::new();
    let c = Children::new();
    let sup = Supervisor::new(&app, Strategy::OneForOne)
        .max_restarts(100, Duration::from_secs(60))
        .backoff(ms(100), ms(400));
    sup.child("w", Restart::Permanent, c.run("w")).unwrap();
    settle().await;
    // Up for a moment, three times: 100, 200, 400.
    for n in 2..=4 {
        c.end("w", End::Err).await;
        c.runs("w", n).await;
    }
    // Up for just under the maximum: still at the maximum.
    tokio::time::sleep(ms(399)).await;
    c.end("w", End::Err).await;
    c.runs("w", 5).await;
    // Up for the maximum: back to the first wait.
    tokio::time::sleep(ms(400)).await;
    c.end("w", End::Err).await;
    c.runs("w", 6).await;
    // And doubling again from there.
    c.end("w", End::Err).await;
    c.runs("w", 7).await;

    let waits = c.waits("w");
    assert_eq!(waits.len(), 6);
    for (wait, nominal) in waits.iter().zip([100, 200, 400, 400, 100, 200]) {
        assert_near(*wait, ms(nominal));
    }
    within(app.close()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_close_cancels_the_backoff_at_once() {
    let app = Process::new().named("app");
    let log = Log::new();
    let sup = Supervisor::new(&app, Strategy::OneForOne)
        .backoff(Duration::from_secs(10), Duration::from_secs(10));
    sup.child("w", Restart::Permanent, crashing(&log, "w"))
        .unwrap();
    settle().await;
    assert_eq!(log.events().len(), 1, "waiting before the restart");
    let start = Instant::now();
    within(app.close()).await.unwrap();
    assert_eq!(start.elapsed(), Duration::ZERO, "not a moment of the wait");
    tokio::time::sleep(Duration::from_secs(20)).await;
    assert_eq!(log.events().len(), 1, "the restart was cancelled");
}

/// Every wait is within ±10% of its nominal value, and they do differ.
#[tokio::test(start_paused = true)]
async fn backoff_jitter_stays_within_its_bounds() {
    let s = Duration::from_secs(1);
    let app = Process::new();
    let c = Children::new();
    let sup = Supervisor::new(&app, Strategy::OneForOne)
        .max_restarts(10, s)
        .backoff(s, s);
    sup.child("w", Restart::Permanent, c.run("w")).unwrap();
    settle().await;
    for n in 2..=201 {
        c.end("w", End::Err).await;
        c.runs("w", n).await;
    }
    let waits = c.waits("w");
    assert_eq!(waits.len(), 200);
    for wait in &waits {
        assert_near(*wait, s);
    }
    let distinct: std::collections::HashSet<Duration> = waits.iter().copied().collect();
    assert!(
        distinct.len() > 100,
        "only {} distinct waits",
        distinct.len()
    );
    let low = waits.iter().filter(|w| **w < s).count();
    assert!(
        (50..=150).contains(&low),
        "{low} of 200 below the nominal wait"
    );
    within(app.close()).await.unwrap();
}

/// One child's backoff does not hold up another child's restart.
#[tokio::test(start_paused = true)]
async fn one_child_s_backoff_does_not_delay_another_s_restart() {
    let app = Process::new();
    let c = Children::new();
    let sup = Supervisor::new(&app, Strategy::OneForOne)
        .max_restarts(100, Duration::from_secs(60))
        .backoff(Duration::from_secs(5), Duration::from_secs(5));
    sup.child("slow", Restart::Permanent, c.run("slow"))
        .unwrap();
    sup.child("fast", Restart::Permanent, c.run("fast"))
        .unwrap();
    settle().await;
    c.end("slow", End::Err).await; // restarts in 5 s
    tokio::time::sleep(Duration::from_secs(1)).await;
    c.end("fast", End::Err).await; // restarts in 5 s from now, not 9
    c.runs("fast", 2).await;
    assert_near(c.waits("fast")[0], Duration::from_secs(5));
    within(app.close()).await.unwrap();
}

// ---- shutdown ----

/// Closing the supervisor stops every restart; its children close in
/// reverse order of addition, each once the later ones are Closed; then
/// its teardown runs.
#[tokio::test(start_paused = true)]
async fn the_supervisor_closes_its_children_in_reverse_order_then_its_teardown() {
    let app = Process::new().named("app");
    let c = Children::new();
    for name in ["a", "b", "c"] {
        c.slow_stop(name, Duration::from_millis(10));
    }
    let sup = supervised(
        &app,
        Strategy::OneForOne,
        &c,
        &["a", "b", "c"],
        Restart::Permanent,
    )
    .await;
    sup.process()
        .set_teardown(c.log.teardown("sup teardown"))
        .unwrap();
    c.clear();
    within(app.close()).await.unwrap();
    assert_eq!(
        c.events(),
        strings(&[
            "stopping c",
            "stop c",
            "stopping b",
            "stop b",
            "stopping a",
            "stop a",
            "sup teardown"
        ])
    );
    assert_eq!(sup.restarts(), 0, "a close is no restart");
}

/// A close in the middle of a restart (while the others taken along are
/// still closing) stops it, and still closes every child.
#[tokio::test(start_paused = true)]
async fn a_close_during_a_restart_still_closes_every_child() {
    let app = Process::new().named("app");
    let c = Children::new();
    c.slow_stop("c", Duration::from_millis(100));
    let sup = supervised(
        &app,
        Strategy::OneForAll,
        &c,
        &["a", "b", "c", "d"],
        Restart::Permanent,
    )
    .await;
    c.clear();
    c.end("d", End::Err).await; // c is stopping, b and a not yet
    assert_eq!(c.events(), strings(&["end d", "stopping c"]));
    within(app.close()).await.unwrap();
    assert_eq!(
        c.events(),
        strings(&["end d", "stopping c", "stop c", "stop b", "stop a"])
    );
    assert!(sup.process().is_closed());
}

/// A run that closes by itself as the supervisor closes is not restarted.
#[tokio::test(start_paused = true)]
async fn a_closing_supervisor_restarts_nothing() {
    let app = Process::new().named("app");
    let log = Log::new();
    let sup = Supervisor::new(&app, Strategy::OneForAll).named("sup");
    let l = log.clone();
    sup.child("w", Restart::Permanent, move |me| {
        let l = l.clone();
        async move {
            l.push("start");
            me.closing().await;
            Ok::<(), Error>(()) // returns, as a Permanent child would restart on
        }
    })
    .unwrap();
    settle().await;
    within(app.close()).await.unwrap();
    settle().await;
    assert_eq!(log.events(), ["start"]);
}

#[tokio::test(start_paused = true)]
async fn giving_up_closes_the_other_children_in_reverse_order() {
    let app = Process::new().named("app");
    let c = Children::new();
    let sup = Supervisor::new(&app, Strategy::OneForOne)
        .named("sup")
        .max_restarts(1, Duration::from_secs(5));
    for name in ["a", "b", "c", "d"] {
        sup.child(name, Restart::Permanent, c.run(name)).unwrap();
    }
    settle().await;
    c.end("b", End::Err).await;
    c.clear();
    c.end("b", End::Err).await;
    assert_eq!(
        c.events(),
        strings(&["end b", "stop d", "stop c", "stop a"])
    );
    assert!(sup.process().is_closed());
    let _ = app.close().await;
}

// ---- the supervisor's own OnFailure ----

#[tokio::test(start_paused = true)]
async fn a_propagating_supervisor_that_gives_up_shuts_its_parent_down() {
    let app = Process::new().named("app");
    let log = Log::new();
    app.set_teardown(log.teardown("app teardown")).unwrap();
    let http = app
        .child()
        .named("http")
        .go(|me| async move { me.closing().await });
    let sup = Supervisor::new(&app, Strategy::OneForOne)
        .named("pool")
        .max_restarts(1, Duration::from_secs(5));
    sup.process().set_on_failure(OnFailure::Propagate);
    sup.child("worker", Restart::Permanent, crashing(&log, "worker"))
        .unwrap();
    within(app.closed()).await;
    assert!(http.is_closed());
    assert!(
        matches!(app.close_cause(), Some(CloseCause::ChildFailed(p)) if p.id() == sup.process().id()),
        "{:?}",
        app.close_cause()
    );
    let err = app.err().await.unwrap_err();
    assert_eq!(err.children()[0].name(), "pool");
    assert_eq!(err.children()[0].error().kind(), ErrorKind::RestartLimit);
    assert_eq!(
        log.events(),
        ["start worker", "start worker", "app teardown"]
    );
}

#[tokio::test(start_paused = true)]
async fn an_isolated_supervisor_that_gives_up_leaves_its_parent_running() {
    let app = Process::new().named("app");
    let log = Log::new();
    let sup = Supervisor::new(&app, Strategy::OneForOne)
        .named("pool")
        .max_restarts(1, Duration::from_secs(5));
    sup.child("worker", Restart::Permanent, crashing(&log, "worker"))
        .unwrap();
    within(sup.process().closed()).await;
    settle().await;
    assert!(!app.is_closing());
    let err = within(app.close()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Children);
    assert_eq!(err.children()[0].error().kind(), ErrorKind::RestartLimit);
}

// ---- bad input ----

#[tokio::test]
async fn children_added_to_a_closing_or_closed_supervisor_are_refused() {
    let app = Process::new().named("app");
    let sup = Supervisor::new(&app, Strategy::OneForOne).named("sup");
    let (tx, rx) = oneshot::channel::<()>();
    sup.process()
        .set_async_teardown(move || async move {
            let _ = rx.await;
            Ok(())
        })
        .unwrap();
    sup.process().request_close();
    assert!(sup.process().is_closing() && !sup.process().is_closed());
    let err = sup
        .child("late", Restart::Permanent, |_| async {})
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed);
    assert!(err.to_string().contains("`late`"), "{err}");
    assert!(err.to_string().contains("`sup`"), "{err}");
    tx.send(()).unwrap();
    within(sup.process().closed()).await;
    let err = sup
        .child("later", Restart::Permanent, |_| async {})
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed);
    within(app.close()).await.unwrap();
}

#[tokio::test]
async fn a_supervisor_of_a_closed_parent_refuses_children() {
    let app = Process::new();
    app.close().await.unwrap();
    let sup = Supervisor::new(&app, Strategy::OneForOne);
    assert!(sup.process().is_closed());
    let err = sup
        .child("w", Restart::Permanent, |_| async {})
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed);
}

#[tokio::test]
async fn bad_limits_and_backoffs_are_refused_with_a_clear_error() {
    let s = Duration::from_secs;
    let cases: [(Supervisor, &str); 3] = [
        (
            Supervisor::new(&Process::new(), Strategy::OneForOne).max_restarts(0, s(5)),
            "allows no restart at all; allow at least 1, or use Restart::Temporary",
        ),
        (
            Supervisor::new(&Process::new(), Strategy::OneForOne).max_restarts(3, s(0)),
            "counts restarts in a window of no time",
        ),
        (
            Supervisor::new(&Process::new(), Strategy::OneForOne).backoff(s(2), s(1)),
            "backoff(2s, 1s): the maximum is below the first wait; pass a maximum of at least 2s",
        ),
    ];
    for (sup, message) in cases {
        let err = sup
            .child("w", Restart::Permanent, |_| async {})
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains(message), "{err}");
        let closed = within(sup.process().err()).await.unwrap_err();
        assert_eq!(closed.kind(), ErrorKind::InvalidInput);
        assert_eq!(sup.process().close_cause(), Some(CloseCause::StartFailed));
    }
    // A backoff of equal bounds is fine.
    let sup = Supervisor::new(&Process::new(), Strategy::OneForOne).backoff(s(1), s(1));
    sup.child(
        "w",
        Restart::Permanent,
        |me| async move { me.closing().await },
    )
    .unwrap();
    within(sup.process().close()).await.unwrap();
}

// ---- handles, snapshots, events ----

#[tokio::test(start_paused = true)]
async fn clones_are_the_same_supervisor_and_snapshots_show_the_runs() {
    let app = Process::new().named("app");
    let c = Children::new();
    let sup = supervised(
        &app,
        Strategy::OneForOne,
        &c,
        &["a", "b"],
        Restart::Permanent,
    )
    .await;
    let clone = sup.clone();
    c.end("b", End::Err).await;
    c.end("b", End::Err).await;
    assert_eq!(clone.restarts(), 2);
    assert_eq!(clone.process(), sup.process());
    let debug = format!("{sup:?}");
    assert!(
        debug.contains("OneForOne") && debug.contains("restarts: 2"),
        "{debug}"
    );

    let snapshot = app.snapshot();
    let info = snapshot.get(sup.process().id()).unwrap();
    assert_eq!(info.restarts(), 2);
    assert_eq!(info.edges().len(), 2, "one run per child");
    let mut runs: Vec<(String, u64)> = info
        .edges()
        .iter()
        .map(|(_, id)| {
            let run = snapshot.get(*id).unwrap();
            (run.display_name().into_owned(), run.restarts())
        })
        .collect();
    runs.sort();
    assert_eq!(runs, [("a".to_string(), 0), ("b".to_string(), 2)]);
    let text = snapshot.to_string();
    assert!(text.contains("sup [running"), "{text}");
    assert!(text.contains(", 2 restarts]"), "{text}");
    within(app.close()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn restarts_and_giving_up_are_events() {
    let app = Process::new().named("app");
    let seen = Log::new();
    let s = seen.clone();
    app.on_event(move |e| match e {
        Event::Restarted {
            supervisor,
            child,
            result,
            restarts,
        } => s.push(format!(
            "{supervisor} restarted {child} (#{restarts}, {})",
            if result.is_ok() { "ok" } else { "failed" }
        )),
        Event::GaveUp { supervisor, error } => {
            s.push(format!("{supervisor} gave up: {:?}", error.kind()))
        }
        _ => {}
    });
    let log = Log::new();
    let sup = Supervisor::new(&app, Strategy::OneForAll)
        .named("pool")
        .max_restarts(2, Duration::from_secs(5));
    sup.child("idle", Restart::Permanent, |me| async move {
        me.closing().await
    })
    .unwrap();
    sup.child("worker", Restart::Permanent, crashing(&log, "worker"))
        .unwrap();
    within(sup.process().closed()).await;
    assert_eq!(
        seen.events(),
        [
            "pool restarted worker (#1, failed)",
            "pool restarted worker (#2, failed)",
            "pool gave up: RestartLimit"
        ]
    );
    let _ = app.close().await;
}

// ---- a supervisor as a field of a #[process] struct ----

#[process]
struct Service {
    #[child]
    http: Process,
    #[child]
    #[wait_for(http)]
    pool: Supervisor,
}

#[tokio::test(start_paused = true)]
async fn a_supervisor_is_a_child_field_of_a_process_struct() {
    let c = Children::new();
    let log = c.log.clone();
    let http = Process::new().named("http");
    http.set_teardown(log.teardown("http closed")).unwrap();
    let pool = Supervisor::new(&Process::background(), Strategy::OneForOne).named("pool");
    pool.child("w1", Restart::Permanent, c.run("w1")).unwrap();
    pool.child("w2", Restart::Permanent, c.run("w2")).unwrap();
    let service = Service { http, pool }.start();
    settle().await;
    c.end("w1", End::Err).await;
    assert_eq!(service.pool.restarts(), 1);
    c.clear();
    within(service.process().close()).await.unwrap();
    assert_eq!(c.events(), strings(&["http closed", "stop w2", "stop w1"]));
    assert!(service.pool.process().is_closed());
}

/// Timelines show the restart count: of the child before each run, and of
/// the supervisor when it closed.
#[tokio::test(start_paused = true)]
async fn timeline_rows_show_the_restart_counts() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let app = Process::new().named("app");
    let timeline = goprocess::Timeline::new();
    timeline.attach(&app);
    let sup = Supervisor::new(&app, Strategy::OneForOne).named("sup");
    let runs = std::sync::Arc::new(AtomicU32::new(0));
    let r = runs.clone();
    sup.child("worker", Restart::Transient, move |me| {
        let n = r.fetch_add(1, Ordering::SeqCst);
        async move {
            if n < 2 {
                return Err("crash");
            }
            me.closing().await;
            Ok(())
        }
    })
    .unwrap();
    within(async {
        while sup.restarts() < 2 || runs.load(Ordering::SeqCst) < 3 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    within(app.close()).await.unwrap();
    let rows: Vec<(String, u64)> = timeline
        .rows()
        .iter()
        .map(|r| (r.name().to_string(), r.restarts()))
        .collect();
    let worker: Vec<u64> = rows
        .iter()
        .filter(|(n, _)| n == "worker")
        .map(|r| r.1)
        .collect();
    assert_eq!(worker, [0, 1, 2], "{rows:?}");
    assert!(rows.contains(&("sup".to_string(), 2)), "{rows:?}");
    assert!(timeline.chart().to_string().contains("(restarts: 2)"));
}
