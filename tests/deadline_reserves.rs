//! Teardown reserves: a close budget leaves the later teardowns their
//! time. On a paused clock, so every instant is exact.

mod common;

use std::time::Duration;

use common::{Log, within};
use goprocess::{ErrorKind, Process};
use tokio::time::Instant;

/// An async teardown that takes `took` and records when it ended.
fn slow_teardown(p: &Process, log: &Log, took: Duration, start: Instant) {
    let (log, name) = (log.clone(), p.name().unwrap().into_owned());
    p.set_async_teardown(move || async move {
        tokio::time::sleep(took).await;
        log.push(format!("{name} at {:?}", start.elapsed()));
        Ok(())
    })
    .unwrap();
}

/// A stuck server before a flush: without a reserve the budget ends with
/// the flush not run; with one, the server is escalated early enough.
#[tokio::test(start_paused = true)]
async fn a_reserve_lets_the_flush_after_a_stuck_server_run() {
    for reserve in [None, Some(Duration::from_millis(300))] {
        let start = Instant::now();
        let log = Log::new();
        let app = Process::new().named("app");
        let db = Process::with_parent(&app).named("db");
        slow_teardown(&db, &log, Duration::from_millis(200), start);
        if let Some(r) = reserve {
            db.set_teardown_reserve(r);
        }
        db.go(|_| std::future::pending::<()>()).named("http");
        let err = within(app.close_within(Duration::from_millis(500)))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout);
        match reserve {
            None => {
                assert_eq!(start.elapsed(), Duration::from_millis(500));
                assert!(log.events().is_empty(), "no time was left for the flush");
            }
            Some(_) => {
                // http escalated at 200 ms, the flush from 200 to 400 ms.
                assert_eq!(log.events(), ["db at 400ms"]);
                assert_eq!(start.elapsed(), Duration::from_millis(400));
                assert!(err.to_string().contains("`app/db/http`"), "{err}");
            }
        }
    }
}

/// Reserves add up along the order: store (300 ms) waits for workers
/// (200 ms), which waits for a stuck http: http must be gone by
/// 1 s - 300 ms - 200 ms = 500 ms.
#[tokio::test(start_paused = true)]
async fn reserves_add_up_along_the_derived_order() {
    let start = Instant::now();
    let log = Log::new();
    let store = Process::new().named("store");
    slow_teardown(&store, &log, Duration::from_millis(250), start);
    store.set_teardown_reserve(Duration::from_millis(300));
    let workers = Process::with_parent(&store).named("workers");
    slow_teardown(&workers, &log, Duration::from_millis(150), start);
    workers.set_teardown_reserve(Duration::from_millis(200));
    workers.go(|_| std::future::pending::<()>()).named("http");
    let err = within(store.close_within(Duration::from_secs(1)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(log.events(), ["workers at 650ms", "store at 900ms"]);
    assert_eq!(
        start.elapsed(),
        Duration::from_millis(900),
        "once closed, not at 1 s"
    );
    let text = err.to_string();
    assert!(text.contains("`store/workers/http`"), "{text}");
}

/// A reserve larger than the budget escalates what it waits for at once;
/// the budget still returns at its own end when the teardown needs it.
#[tokio::test(start_paused = true)]
async fn a_reserve_larger_than_the_budget_escalates_at_once() {
    let start = Instant::now();
    let log = Log::new();
    let db = Process::new().named("db");
    slow_teardown(&db, &log, Duration::from_millis(50), start);
    db.set_teardown_reserve(Duration::from_secs(10));
    db.go(|_| std::future::pending::<()>()).named("http");
    let err = within(db.close_within(Duration::from_millis(100)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(log.events(), ["db at 50ms"]);
}

/// Without a stuck part, a reserve changes nothing: the close is Ok.
#[tokio::test(start_paused = true)]
async fn a_reserve_with_nothing_stuck_is_no_failure() {
    let start = Instant::now();
    let log = Log::new();
    let db = Process::new().named("db");
    slow_teardown(&db, &log, Duration::from_millis(100), start);
    db.set_teardown_reserve(Duration::from_millis(300));
    db.go(|me| async move { me.closing().await }).named("http");
    within(db.close_within(Duration::from_secs(1)))
        .await
        .unwrap();
    assert_eq!(log.events(), ["db at 100ms"]);
}

/// A reserve on a process nobody waits for, and nested budgets: each
/// budget applies the reserves of its own subtree.
#[tokio::test(start_paused = true)]
async fn nested_budgets_each_apply_the_reserves() {
    let start = Instant::now();
    let log = Log::new();
    let app = Process::new().named("app");
    let lonely = Process::new()
        .named("lonely")
        .teardown_reserve(Duration::from_secs(5));
    let db = Process::with_parent(&app)
        .named("db")
        .close_timeout(Duration::from_millis(400));
    slow_teardown(&db, &log, Duration::from_millis(100), start);
    db.set_teardown_reserve(Duration::from_millis(200));
    db.go(|_| std::future::pending::<()>()).named("http");
    let err = within(app.close_within(Duration::from_secs(2)))
        .await
        .unwrap_err();
    // db's own budget (400 ms) and reserve (200 ms): http escalated at
    // 200 ms, the flush done at 300 ms.
    assert_eq!(log.events(), ["db at 300ms"]);
    assert_eq!(err.kind(), ErrorKind::Children, "{err}");
    assert_eq!(err.children()[0].error().kind(), ErrorKind::Timeout);
    within(lonely.close_within(Duration::from_millis(10)))
        .await
        .unwrap();
}

/// A reserve covers plain `wait_for` targets too: db waits for a stuck
/// http that is its sibling, not its child.
#[tokio::test(start_paused = true)]
async fn a_reserve_covers_wait_for_targets() {
    let start = Instant::now();
    let log = Log::new();
    let app = Process::new().named("app");
    let http = app.go(|_| std::future::pending::<()>()).named("http");
    let db = Process::with_parent(&app).named("db");
    db.wait_for(&http).unwrap();
    slow_teardown(&db, &log, Duration::from_millis(200), start);
    db.set_teardown_reserve(Duration::from_millis(300));
    let err = within(app.close_within(Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(log.events(), ["db at 4.9s"]);
}

/// A wait target outside the close is not the budget's to stop.
#[tokio::test(start_paused = true)]
async fn a_reserve_leaves_a_wait_target_outside_the_close_alone() {
    let outside = Process::new().named("journal");
    let journal = outside.go(|me| async move { me.closing().await });
    let db = Process::new().named("db");
    db.wait_for(&outside).unwrap();
    db.set_teardown_reserve(Duration::from_millis(300));
    let err = within(db.close_within(Duration::from_secs(1)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(!outside.is_closing() && !journal.is_closing());
    within(outside.close()).await.unwrap();
}
