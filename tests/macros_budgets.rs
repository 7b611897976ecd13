//! The budget knobs of the macros: `#[process(close_timeout = "..",
//! escalation = "..")]`, `#[teardown(timeout = "..")]`, and the generated
//! `to_mermaid()` of the shutdown plan. All on a paused clock, so deadlines are exact.
#![deny(warnings, clippy::all)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{Alive, Log, within};
use goprocess::__private::Spec;
use goprocess::{ErrorKind, Escalation, Handle, Process, Start, process, teardown};
use tokio::sync::Notify;
use tokio::time::Instant;

/// A connection that ignores `closing()`: it never returns by itself.
fn stuck_conn(alive: &Alive) -> Process {
    let alive = alive.clone();
    goprocess::go(move |_| async move {
        let _token = alive.token();
        std::future::pending::<()>().await
    })
    .named("conn")
}

#[process(close_timeout = "5s")]
struct Flaky {
    #[child]
    conn: Process,
}

#[process]
struct App {
    #[child]
    flaky: Handle<Flaky>,
    #[child]
    #[wait_for(flaky)]
    db: Process,
}

impl App {
    #[teardown]
    fn stop(&self) {}
}

#[test]
fn the_knobs_become_spec_constants() {
    assert_eq!(Flaky::CLOSE_TIMEOUT, Some(Duration::from_secs(5)));
    assert_eq!(Flaky::ESCALATION, Escalation::Abort);
    assert_eq!(App::CLOSE_TIMEOUT, None, "no knob, no budget");
    assert_eq!(Detached::CLOSE_TIMEOUT, Some(Duration::from_millis(1500)));
    assert_eq!(Detached::ESCALATION, Escalation::Detach);
    assert_eq!(Minutes::CLOSE_TIMEOUT, Some(Duration::from_secs(120)));
}

#[tokio::test(start_paused = true)]
async fn a_struct_with_close_timeout_does_not_hold_its_parent_hostage() {
    let alive = Alive::default();
    let log = Log::new();
    let db = Process::with_teardown(log.teardown("db"));
    let flaky = Flaky {
        conn: stuck_conn(&alive),
    }
    .start();
    let app = App {
        flaky: flaky.clone(),
        db: db.clone(),
    }
    .start();
    assert_eq!(alive.count(), 0, "the task has not started yet");
    tokio::task::yield_now().await;
    assert_eq!(alive.count(), 1);

    let start = Instant::now();
    let err = within(app.process().close()).await.unwrap_err();
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(5),
        "App moved on exactly when Flaky's budget ran out"
    );
    assert_eq!(err.kind(), ErrorKind::Children, "{err}");
    let failed = &err.children()[0];
    assert_eq!(failed.name(), "flaky", "named after App's field");
    assert_eq!(failed.error().kind(), ErrorKind::Timeout);
    let report = failed
        .error()
        .shutdown_report()
        .expect("a Timeout carries a report");
    let paths: Vec<String> = report.open().iter().map(|o| o.path().join("/")).collect();
    assert_eq!(paths, ["flaky", "flaky/conn"], "{report}");
    assert!(err.to_string().contains("`flaky/conn`"), "{err}");

    // db waited for flaky (#[wait_for(flaky)]), which gave up at the deadline.
    assert_eq!(log.events(), ["db"]);
    // Abort (the default): the stuck task is gone and everything closes.
    within(flaky.process().closed()).await;
    assert_eq!(alive.count(), 0, "the stuck task was aborted");
    let conn_err = flaky.conn.err().await.unwrap_err();
    assert_eq!(conn_err.kind(), ErrorKind::Aborted);
}

#[tokio::test(start_paused = true)]
async fn a_close_timeout_applies_when_the_struct_is_closed_directly() {
    let alive = Alive::default();
    let flaky = Flaky {
        conn: stuck_conn(&alive),
    }
    .start();
    tokio::task::yield_now().await;
    let start = Instant::now();
    let err = within(flaky.process().close()).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(5), "at the deadline");
    // The budget overrun is the struct's own failure; the aborted child it
    // caused is listed below it.
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.shutdown_report().is_some());
    assert_eq!(err.children()[0].error().kind(), ErrorKind::Aborted);
    assert_eq!(alive.count(), 0);
    assert!(flaky.conn.is_closed());
}

#[tokio::test(start_paused = true)]
async fn a_close_past_the_structs_own_budget_says_timeout() {
    let alive = Alive::default();
    let flaky = Flaky {
        conn: stuck_conn(&alive),
    }
    .start();
    tokio::task::yield_now().await;
    let err = within(flaky.process().close()).await.unwrap_err();
    let mut timeout = false;
    err.walk(|_, e| timeout |= e.kind() == ErrorKind::Timeout);
    assert!(
        timeout && err.shutdown_report().is_some(),
        "the caller is told that the budget ran out, with the report: {err}"
    );
}

/// A teardown that waits for `release`, with a whole-close budget of
/// 1.5 s and the tasks left running past it.
#[process(close_timeout = "1500ms", escalation = "detach")]
struct Detached {
    release: Arc<Notify>,
    finished: Arc<AtomicBool>,
}

impl Detached {
    #[teardown]
    async fn drain(&self) {
        self.release.notified().await;
        self.finished.store(true, Ordering::SeqCst);
    }
}

/// The same with the default escalation spelled out.
#[process(close_timeout = "1500ms", escalation = "abort")]
struct Aborted {
    release: Arc<Notify>,
    finished: Arc<AtomicBool>,
}

impl Aborted {
    #[teardown]
    async fn drain(&self) {
        self.release.notified().await;
        self.finished.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn escalation_detach_leaves_the_teardown_running_and_the_parent_moves_on() {
    let parent = Process::new().named("parent");
    let release = Arc::new(Notify::new());
    let finished = Arc::new(AtomicBool::new(false));
    let detached = Detached {
        release: release.clone(),
        finished: finished.clone(),
    }
    .start_with_parent(&parent);

    let start = Instant::now();
    let err = within(parent.close()).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_millis(1500));
    assert_eq!(err.children()[0].name(), "Detached");
    assert_eq!(err.children()[0].error().kind(), ErrorKind::Timeout);
    assert!(parent.is_closed(), "not held hostage");

    // Detach: the teardown was not aborted; it finishes when released.
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(!detached.process().is_closed(), "still draining");
    assert!(!finished.load(Ordering::SeqCst));
    release.notify_one();
    within(detached.process().closed()).await;
    assert!(
        finished.load(Ordering::SeqCst),
        "the teardown ran to its end"
    );
    let late = detached.process().err().await.unwrap_err();
    assert_eq!(
        late.kind(),
        ErrorKind::Timeout,
        "its result still says it overran its budget"
    );
    assert!(late.also().is_none(), "and nothing else went wrong: {late}");
}

#[tokio::test(start_paused = true)]
async fn escalation_abort_stops_the_teardown_at_the_deadline() {
    let parent = Process::new();
    let release = Arc::new(Notify::new());
    let finished = Arc::new(AtomicBool::new(false));
    let aborted = Aborted {
        release: release.clone(),
        finished: finished.clone(),
    }
    .start_with_parent(&parent);

    let start = Instant::now();
    let err = within(parent.close()).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_millis(1500));
    assert_eq!(err.children()[0].error().kind(), ErrorKind::Timeout);
    within(aborted.process().closed()).await;
    release.notify_one();
    tokio::task::yield_now().await;
    assert!(!finished.load(Ordering::SeqCst), "the teardown was aborted");
    let err = aborted.process().err().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "the overrun first");
    assert_eq!(
        err.also().map(|e| e.kind()),
        Some(ErrorKind::Aborted),
        "then the aborted teardown it caused"
    );
}

#[process]
struct SlowTeardown {
    runs: Arc<AtomicUsize>,
}

impl SlowTeardown {
    #[teardown(timeout = "2s")]
    async fn stop(&self) -> Result<(), std::io::Error> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        std::future::pending().await
    }
}

#[tokio::test(start_paused = true)]
async fn a_teardown_past_its_timeout_closes_with_timeout() {
    let runs = Arc::new(AtomicUsize::new(0));
    let slow = SlowTeardown { runs: runs.clone() }.start();
    let start = Instant::now();
    let err = within(slow.process().close()).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(
        err.to_string().contains("teardown budget of 2s ran out"),
        "the error names the budget: {err}"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    // Stored for ever, teardown not rerun.
    assert_eq!(
        slow.process().close().await.unwrap_err().kind(),
        ErrorKind::Timeout
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[derive(Debug)]
struct FlushError;
impl std::fmt::Display for FlushError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("flush failed")
    }
}
impl std::error::Error for FlushError {}

#[process]
struct QuickTeardown {
    fail: bool,
}

impl QuickTeardown {
    #[teardown(timeout = "2m")]
    async fn stop(&self) -> Result<(), FlushError> {
        tokio::time::sleep(Duration::from_secs(90)).await;
        if self.fail { Err(FlushError) } else { Ok(()) }
    }
}

#[tokio::test(start_paused = true)]
async fn a_teardown_within_its_timeout_keeps_its_own_result() {
    let bound = Duration::from_secs(200);
    let ok = QuickTeardown { fail: false }.start();
    let start = Instant::now();
    tokio::time::timeout(bound, ok.process().close())
        .await
        .expect("bounded")
        .unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(90));

    let failing = QuickTeardown { fail: true }.start();
    let err = tokio::time::timeout(bound, failing.process().close())
        .await
        .expect("bounded")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Teardown);
    assert!(err.downcast_ref::<FlushError>().is_some(), "{err}");
}

#[process(close_timeout = "2m")]
struct Minutes {
    #[child]
    http: Process,
    #[child]
    #[wait_for(http)]
    db: Process,
    #[child]
    #[wait_for(db, http)]
    cache: Process,
    #[child(no_wait)]
    metrics: Process,
    #[wait_for]
    journal: Process,
    #[child]
    #[wait_for(http)]
    end: Process, // a Mermaid keyword: its node id gets a `_`
}

#[test]
fn shutdown_mermaid_draws_the_derived_order() {
    assert_eq!(
        Minutes::shutdown_plan().to_mermaid(),
        "flowchart TD
    http[\"http\"]
    metrics[\"metrics (not waited for)\"]
    db[\"db\"]
    end_[\"end\"]
    cache[\"cache\"]
    journal[/\"journal (waited for, not closed)\"/]
    self([\"Minutes closed\"])
    http --> db
    http --> end_
    end_ --> self
    db --> cache
    http --> cache
    cache --> self
    journal -.-> self
"
    );
    assert_eq!(
        Minutes::shutdown_plan().stages(),
        &[&["http", "metrics"][..], &["db", "end"], &["cache"]]
    );
    let _ = |http, db, cache, metrics, journal, end| {
        Minutes {
            http,
            db,
            cache,
            metrics,
            journal,
            end,
        }
        .start()
    };
}

#[process(close_timeout = "1m 30s")]
struct Humantime {}

impl Humantime {
    #[teardown(timeout = "1.5s")]
    async fn stop(&self) {
        std::future::pending::<()>().await;
    }
}

#[process(close_timeout = "250us")]
struct Micros {}

/// Durations are read as humantime reads them, decimals included.
#[tokio::test(start_paused = true)]
async fn durations_take_decimals_and_several_units() {
    assert_eq!(Humantime::CLOSE_TIMEOUT, Some(Duration::from_secs(90)));
    assert_eq!(Micros::CLOSE_TIMEOUT, Some(Duration::from_micros(250)));
    let humantime = Humantime {}.start();
    let start = Instant::now();
    let err = within(humantime.process().close()).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_millis(1500));
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
}
