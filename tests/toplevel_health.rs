//! `Process::health()`: what readiness and liveness probes answer.

mod common;

use std::time::Duration;

use common::within;
use goprocess::Process;
use goprocess::supervise::{Restart, Strategy, Supervisor};

#[tokio::test]
async fn readiness_waits_for_the_parts_and_drops_at_the_close() {
    let app = Process::new().named("app");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    app.child()
        .named("db")
        .signals_ready()
        .go(move |me| async move {
            let _ = rx.await;
            me.set_ready();
            me.closing().await;
        });
    let health = app.health();
    assert!(!health.is_ready() && health.is_live(), "{health}");
    assert!(
        health.not_ready()[0].starts_with("`app/db` (starting"),
        "{health}"
    );
    tx.send(()).unwrap();
    within(app.ready()).await.unwrap();
    assert!(app.health().is_ready(), "{}", app.health());
    app.request_close();
    let health = app.health();
    assert!(
        !health.is_ready(),
        "readiness drops at the first close: {health}"
    );
    assert!(health.is_live(), "a graceful shutdown stays live: {health}");
    within(app.close()).await.unwrap();
    assert!(app.health().is_live());
}

#[tokio::test]
async fn a_failure_still_in_the_tree_is_not_live_a_handled_one_that_left_is() {
    let app = Process::new().named("app");
    // A request that failed and left: handled, the service is live.
    let request = app
        .go(|_| async { Err::<(), _>("bad request") })
        .named("request");
    within(request.closed()).await;
    assert!(app.health().is_live(), "{}", app.health());
    // A part whose teardown failed while it is still being waited for.
    let db = Process::with_parent(&app).named("db");
    db.set_teardown(|| Err("disk full".into())).unwrap();
    let pool = db.go(|me| async move { me.closing().await }).named("pool");
    let holder = Process::new().named("holder");
    db.wait_for(&holder).unwrap();
    db.request_close();
    within(pool.closed()).await;
    holder.request_close();
    within(db.closed()).await;
    assert!(
        app.health().is_live(),
        "db failed and left: {}",
        app.health()
    );
    within(app.close()).await.unwrap_err();
}

#[tokio::test(start_paused = true)]
async fn a_budget_that_ran_out_is_not_live() {
    let app = Process::new().named("app");
    let stuck = Process::with_parent(&app)
        .named("stuck")
        .close_timeout(Duration::from_secs(1));
    stuck.set_async_teardown(std::future::pending).unwrap();
    let holder = Process::new().named("holder");
    stuck.wait_for(&holder).unwrap();
    stuck.request_close();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let health = app.health();
    assert!(!health.is_live(), "{health}");
    assert!(
        health.not_live()[0].contains("`app/stuck` (its close budget ran out"),
        "{health}"
    );
    holder.request_close();
    let _ = within(app.close()).await;
}

#[tokio::test(start_paused = true)]
async fn a_supervisor_that_gave_up_is_not_live() {
    let app = Process::new().named("app");
    let sup = Supervisor::new(&app, Strategy::OneForOne)
        .named("pool")
        .max_restarts(1, Duration::from_secs(10));
    sup.child("worker", Restart::Permanent, |_| async {
        Err::<(), _>("crash")
    })
    .unwrap();
    within(sup.process().closed()).await;
    let health = app.health();
    assert!(!health.is_live(), "{health}");
    assert!(health.to_string().contains("`app/pool`"), "{health}");
    let _ = within(app.close()).await;
}
