//! What a tokio-graceful-shutdown user reaches for: a subtree failure
//! policy, propagation as soon as a failure is known, a handled failure,
//! abort, waiting for the children, the root from any depth, and an
//! uncaught failure logged at `error`.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Log, within};
use goprocess::{CloseCause, OnFailure, Process};
use tokio::time::Instant;

#[tokio::test]
async fn children_on_failure_makes_a_whole_service_fail_as_one() {
    let app = Process::new()
        .named("app")
        .children_on_failure(OnFailure::Propagate);
    let api = Process::with_parent(&app).named("api");
    let other = app
        .go(|me| async move { me.closing().await })
        .named("other");
    api.child()
        .named("handler")
        .go(|_| async { Err::<(), _>("crashed") });
    within(app.closed()).await;
    assert!(other.is_closed());
    assert!(matches!(app.close_cause(), Some(CloseCause::ChildFailed(c)) if c.name() == "api"));
    let err = within(app.err()).await.unwrap_err();
    assert!(err.to_string().contains("crashed"), "{err}");
}

#[tokio::test]
async fn an_explicit_policy_wins_over_the_subtree_default_and_the_default_skips_itself() {
    let root = Process::new().named("root");
    let app = Process::with_parent(&root)
        .named("app")
        .children_on_failure(OnFailure::Propagate);
    let isolated = Process::with_parent(&app)
        .named("isolated")
        .on_failure(OnFailure::Isolate);
    isolated
        .child()
        .named("leaf")
        .go(|_| async { Err::<(), _>("x") });
    // leaf inherits Propagate from `isolated` (passed down), closing it;
    // `isolated` chose Isolate: the app runs on.
    within(isolated.closed()).await;
    tokio::task::yield_now().await;
    assert!(!app.is_closing());
    // The default does not apply to the app itself: its own failure stays
    // with it, the root runs on.
    app.set_teardown(|| Err("app's own".into())).unwrap();
    let _ = within(app.close()).await;
    tokio::task::yield_now().await;
    assert!(!root.is_closing());
    within(root.close()).await.unwrap_err();
}

/// tgs's nested-failure example: a failure deep in one branch asks the
/// sibling branch to stop as soon as it is known, not once each level
/// has drained (here the failed branch takes 500 ms to drain).
#[tokio::test(start_paused = true)]
async fn a_failure_propagates_as_soon_as_it_is_known() {
    let start = Instant::now();
    let log = Log::new();
    let app = Process::new()
        .named("app")
        .children_on_failure(OnFailure::Propagate);
    let failing = Process::with_parent(&app).named("failing");
    failing.go(|me| async move {
        me.closing().await;
        tokio::time::sleep(Duration::from_millis(500)).await; // a slow drain
    });
    let l = log.clone();
    app.child().named("sibling").go(move |me| async move {
        me.closing().await;
        l.push(format!("sibling asked to stop at {:?}", start.elapsed()));
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    failing
        .child()
        .named("leaf")
        .go(|_| async { Err::<(), _>("panic in leaf") });
    within(app.closed()).await;
    assert_eq!(log.events(), ["sibling asked to stop at 20ms"]);
    assert_eq!(start.elapsed(), Duration::from_millis(520));
}

#[tokio::test]
async fn close_and_take_hands_the_failure_to_the_caller() {
    let app = Process::new().named("app");
    let job = Process::with_parent(&app)
        .named("job")
        .on_failure(OnFailure::Propagate);
    job.set_teardown(|| Err("flush failed".into())).unwrap();
    let err = within(job.close_and_take()).await.unwrap_err();
    assert!(err.to_string().contains("flush failed"), "{err}");
    tokio::task::yield_now().await;
    assert!(!app.is_closing(), "a taken failure does not propagate");
    within(app.close()).await.unwrap();
}

#[tokio::test]
async fn abort_stops_now_runs_every_teardown_once_and_is_no_failure() {
    let log = Log::new();
    let app = Process::new().named("app");
    app.set_teardown(log.teardown("app")).unwrap();
    let worker = Process::with_parent(&app).named("worker");
    worker.set_teardown(log.teardown("worker")).unwrap();
    worker.go(|_| std::future::pending::<()>()).named("stuck");
    app.go(|_| std::future::pending::<()>()).named("also stuck");
    app.abort();
    within(app.err()).await.unwrap();
    assert_eq!(log.events(), ["worker", "app"]);
    assert_eq!(app.close_cause(), Some(CloseCause::Aborted));
    app.abort(); // again, on a Closed process: nothing
}

#[tokio::test]
async fn children_closed_waits_inside_the_processs_own_function() {
    let log = Log::new();
    let app = Process::new().named("app");
    let l = log.clone();
    let server = app.go(move |me| async move {
        for i in 0..3u64 {
            let l = l.clone();
            me.go(move |_| async move {
                tokio::time::sleep(Duration::from_millis(10 * (i + 1))).await;
                l.push(format!("job {i}"));
            });
        }
        me.children_closed().await;
        l.push("all jobs done");
    });
    within(server.closed()).await;
    assert_eq!(log.events(), ["job 0", "job 1", "job 2", "all jobs done"]);
    // With no child at all, it resolves at once.
    within(app.children_closed()).await;
    within(app.close()).await.unwrap();
}

#[tokio::test]
async fn root_reaches_the_top_from_any_depth() {
    let app = Process::new().named("app");
    let deep = Process::with_parent(&Process::with_parent(&Process::with_parent(&app)));
    assert_eq!(deep.root(), app);
    let job = deep.go(|me| async move {
        me.root().request_close(); // tgs's request_shutdown
    });
    within(app.closed()).await;
    assert!(job.is_closed());
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn errors_logged(f: impl FnOnce()) -> Vec<String> {
    let buffer = Buffer::default();
    let b = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::ERROR)
        .with_ansi(false)
        .without_time()
        .with_writer(move || b.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    out.lines().map(str::to_owned).collect()
}

#[test]
fn a_failure_nobody_takes_is_logged_once_at_error_level() {
    let lines = errors_logged(|| {
        let app = Process::new().named("app");
        let db = Process::with_parent(&app).named("db");
        db.set_teardown(|| Err("disk full".into())).unwrap();
        let _ = app.close_blocking();
    });
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("ERROR") && lines[0].contains("disk full"),
        "{lines:?}"
    );

    let lines = errors_logged(|| {
        let app = Process::new().named("app");
        app.set_teardown(|| Err("disk full".into())).unwrap();
        let taken = app.clone();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let err = rt.block_on(taken.close_and_take());
        assert!(err.is_err());
        // A subscriber takes it too.
        let watched = Process::new().named("watched");
        watched.on_event(|_| {});
        watched.set_teardown(|| Err("x".into())).unwrap();
        let _ = watched.close_blocking();
    });
    assert!(lines.is_empty(), "{lines:?}");
}

/// A failure taken after its process closed: the parent, still running,
/// leaves it out of its own error.
#[tokio::test]
async fn close_and_take_after_the_failure_closed_the_child() {
    let app = Process::new().named("app");
    let job = app
        .child()
        .named("job")
        .go(|_| async { Err::<(), _>("bad") });
    within(job.closed()).await;
    assert!(within(job.close_and_take()).await.is_err());
    within(app.close()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn until_closing_gives_the_output_or_none_once_closing() {
    let app = Process::new().named("app");
    let quick = within(app.until_closing(async { 7 })).await;
    assert_eq!(quick, Some(7));
    let slow = tokio::spawn(app.until_closing(tokio::time::sleep(Duration::from_secs(3600))));
    tokio::task::yield_now().await;
    app.request_close();
    assert_eq!(within(slow).await.unwrap(), None);
}
