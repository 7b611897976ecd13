//! Close budgets: `close_within`, per-process budgets, escalation, the
//! shutdown report. All on a paused clock, so deadlines are exact.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{Alive, within};
use goprocess::{ErrorKind, Escalation, Process};
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn close_within_returns_timeout_at_the_deadline_with_a_report() {
    let alive = Alive::default();
    let app = Process::new().named("app");
    let db = Process::with_parent(&app).named("db");
    let a = alive.clone();
    db.go(move |_| async move {
        let _t = a.token();
        std::future::pending::<()>().await
    })
    .named("pool");
    let http = app.go(|me| async move { me.closing().await }).named("http");

    let start = Instant::now();
    let err = within(app.close_within(Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(5),
        "at the deadline, not later"
    );
    assert_eq!(err.kind(), ErrorKind::Timeout);

    let report = err.shutdown_report().unwrap();
    let paths: Vec<String> = report.open().iter().map(|o| o.path().join("/")).collect();
    assert_eq!(paths, ["app", "app/db", "app/db/pool"]);
    assert_eq!(report.open()[0].waiting_for(), ["db"]);
    assert!(report.open()[2].function_running());
    assert_eq!(report.open()[2].closing_for(), Some(Duration::from_secs(5)));
    let text = err.to_string();
    assert!(text.starts_with("process `app`: close budget of 5s ran out; still open: `app` (closing for 5.0s: asked to close; waits for `db`)"), "{text}");
    assert!(
        !text.contains("http"),
        "closed processes are not listed: {text}"
    );
    assert!(http.is_closed());

    // Escalation (abort by default): the stuck task is gone, all close.
    within(app.closed()).await;
    assert_eq!(alive.count(), 0, "nothing is left running");
    let pool_err = within(app.err()).await.unwrap_err();
    let mut kinds = Vec::new();
    pool_err.walk(|path, e| kinds.push((path.join("/"), e.kind())));
    assert!(
        kinds.contains(&("db/pool".to_string(), ErrorKind::Aborted)),
        "{kinds:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn close_within_is_ok_when_the_close_fits_the_budget() {
    let p = Process::new();
    p.go(|me| async move {
        me.closing().await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    });
    let start = Instant::now();
    within(p.close_within(Duration::from_secs(2)))
        .await
        .unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn a_hanging_async_teardown_is_aborted() {
    let p = Process::with_async_teardown(std::future::pending).named("flush");
    let err = within(p.close_within(Duration::from_millis(100)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(
        err.shutdown_report().unwrap().open()[0].detail(),
        "closing: running teardown"
    );
    within(p.closed()).await;
    let stored = within(p.err()).await.unwrap_err();
    assert_eq!(
        stored.kind(),
        ErrorKind::Timeout,
        "the overrun is its own failure"
    );
    assert_eq!(stored.also().map(|e| e.kind()), Some(ErrorKind::Aborted));
}

#[tokio::test(start_paused = true)]
async fn detach_leaves_the_task_running_but_frees_the_parent() {
    let finished = Arc::new(AtomicBool::new(false));
    let app = Process::new();
    let f = finished.clone();
    let slow = app
        .go(move |_| async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            f.store(true, Ordering::SeqCst);
        })
        .escalation(Escalation::Detach)
        .close_timeout(Duration::from_secs(1));
    let start = Instant::now();
    let err = within(app.close()).await.unwrap_err();
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(1),
        "the parent is not held hostage"
    );
    assert_eq!(err.kind(), ErrorKind::Children);
    assert_eq!(err.children()[0].error().kind(), ErrorKind::Timeout);
    assert!(!slow.is_closed(), "detached, not aborted");
    within(slow.closed()).await;
    assert!(finished.load(Ordering::SeqCst), "the task ran to its end");
    assert_eq!(common::edge_counts(&app), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn a_child_budget_never_exceeds_the_parents_remaining_budget() {
    let app = Process::new().named("app");
    let child = app
        .go(|_| std::future::pending::<()>())
        .named("child")
        .close_timeout(Duration::from_secs(60));
    let start = Instant::now();
    let err = within(app.close_within(Duration::from_secs(2)))
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert_eq!(err.kind(), ErrorKind::Timeout);
    within(child.closed()).await;
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(2),
        "escalated with the parent"
    );
}

#[tokio::test(start_paused = true)]
async fn a_shorter_child_budget_fires_first_and_the_parent_closes_in_time() {
    let app = Process::new();
    app.go(|_| std::future::pending::<()>())
        .close_timeout(Duration::from_secs(1));
    let start = Instant::now();
    let err = within(app.close_within(Duration::from_secs(10)))
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert_eq!(
        err.kind(),
        ErrorKind::Children,
        "the parent itself closed in time"
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_report_while_closing_says_who_blocks() {
    let app = Process::new().named("app");
    let journal = Process::new().named("journal");
    app.wait_for(&journal).unwrap();
    tokio::spawn(app.close());
    within(app.closing()).await;
    let report = app.shutdown_report();
    assert_eq!(
        report.open().len(),
        1,
        "journal is not app's child: {report}"
    );
    assert_eq!(
        report.to_string(),
        "`app` (closing for 0.0ns: asked to close; waits for `journal`)"
    );
    within(journal.close()).await.unwrap();
    within(app.closed()).await;
    assert!(app.shutdown_report().is_empty());
}

#[tokio::test(start_paused = true)]
async fn dropping_close_within_keeps_the_budget() {
    let p = Process::new();
    let stuck = p.go(|_| std::future::pending::<()>());
    {
        let mut fut = Box::pin(p.close_within(Duration::from_secs(1)));
        let waker = std::task::Waker::noop();
        let _ = fut
            .as_mut()
            .poll(&mut std::task::Context::from_waker(waker));
    }
    within(stuck.closed()).await;
    assert_eq!(
        within(stuck.err()).await.unwrap_err().kind(),
        ErrorKind::Aborted
    );
    within(p.closed()).await;
}

#[test]
fn close_within_works_without_a_runtime() {
    let p = Process::with_teardown(|| Ok(()));
    let r = common::within_blocking(move || {
        let rt_free =
            std::thread::spawn(move || futures_block_on(p.close_within(Duration::from_secs(1))));
        rt_free.join().unwrap()
    });
    r.unwrap();
}

fn futures_block_on<F: std::future::Future>(f: F) -> F::Output {
    // A minimal executor, as a non-tokio caller would have.
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark()
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}
