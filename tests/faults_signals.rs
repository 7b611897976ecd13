//! Fault injection: signals arriving while a `with_signals` process is
//! already closing (closed by hand), and a close by hand racing the close a
//! signal started. Real signals are raised at this test process with
//! `kill`, each test with signals of its own and its handler installed
//! first (`with_signals` installs it before returning), as in
//! `tests/signal_with_signals.rs`.
#![cfg(unix)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Log, raise, within};
use goprocess::signal::SignalKind;
use goprocess::{Process, with_signals};
use tokio::sync::Notify;

/// A child of `parent` whose async teardown logs `name` and waits until
/// released; `started` is notified when it begins.
fn held_child(
    parent: &Process,
    log: &Log,
    name: &'static str,
) -> (Process, Arc<Notify>, Arc<Notify>) {
    let started = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let child = Process::with_parent(parent).named(name);
    let (s, r, l) = (started.clone(), release.clone(), log.clone());
    child
        .set_async_teardown(move || async move {
            s.notify_one();
            r.notified().await;
            l.push(name);
            Ok(())
        })
        .unwrap();
    (child, started, release)
}

fn counting_teardown(
    runs: &Arc<AtomicUsize>,
) -> impl FnOnce() -> Result<(), goprocess::BoxError> + Send + 'static {
    let runs = runs.clone();
    move || {
        runs.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn a_signal_arriving_mid_close_changes_nothing() {
    let log = Log::new();
    let runs = Arc::new(AtomicUsize::new(0));
    let app = with_signals([SignalKind::user_defined1()]).named("app");
    app.set_teardown(counting_teardown(&runs)).unwrap();
    let (db, started, release) = held_child(&app, &log, "db");

    let close = tokio::spawn(app.close());
    within(started.notified()).await; // app is closing, waiting for db
    raise("USR1");
    // Give the signal task every chance to act on the closing process.
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    assert!(!app.is_closed(), "still waiting for db");
    release.notify_one();
    within(close).await.unwrap().unwrap();
    within(db.closed()).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(log.events(), ["db"]);
    assert!(within(app.err()).await.is_ok());
    assert_eq!(common::edge_counts(&app), (0, 0));
}

#[tokio::test]
async fn closes_by_hand_racing_a_signal_started_close_share_one_result() {
    let log = Log::new();
    let runs = Arc::new(AtomicUsize::new(0));
    let app = with_signals([SignalKind::user_defined2()]).named("app");
    app.set_teardown(counting_teardown(&runs)).unwrap();
    let (_db, started, release) = held_child(&app, &log, "db");

    raise("USR2");
    within(app.closing()).await;
    within(started.notified()).await;
    let by_hand: Vec<_> = (0..4).map(|_| tokio::spawn(app.close())).collect();
    let with_budget = tokio::spawn(app.close_within(Duration::from_secs(30)));
    let observer = tokio::spawn(app.closed());
    release.notify_one();
    for close in by_hand {
        within(close).await.unwrap().unwrap();
    }
    within(with_budget).await.unwrap().unwrap();
    within(observer).await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn several_signals_during_one_close_run_the_teardown_once() {
    let log = Log::new();
    let runs = Arc::new(AtomicUsize::new(0));
    let app = with_signals([SignalKind::window_change(), SignalKind::io()]).named("app");
    app.set_teardown(counting_teardown(&runs)).unwrap();
    let (_db, started, release) = held_child(&app, &log, "db");

    raise("WINCH");
    within(started.notified()).await;
    raise("IO");
    raise("WINCH");
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    release.notify_one();
    within(app.closed()).await;
    assert!(within(app.err()).await.is_ok());
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(log.events(), ["db"]);
}
