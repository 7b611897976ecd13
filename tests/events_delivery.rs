//! How events reach subscribers: all of them before `close()`, `closed()`
//! and `err()` resolve, each process's in lifecycle order, and no
//! subscriber (panicking, slow, or closing things) can wedge a tree.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Log, quiet_injected_panics, within, within_blocking};
use goprocess::Process;
use goprocess::events::Event;

/// `name: Closing|Failed|Closed`, for each event.
fn record(p: &Process) -> Log {
    let log = Log::new();
    let l = log.clone();
    p.on_event(move |e| {
        let line = match e {
            Event::Closing { process, .. } => format!("{process}: Closing"),
            Event::Failed { process, .. } => format!("{process}: Failed"),
            Event::Closed { process, .. } => format!("{process}: Closed"),
            other => format!("{other:?}"),
        };
        l.push(line);
    });
    log
}

fn two_workers() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A program that logs events and exits right after `close()` has seen
/// every event of its tree: in each of 10,000 runs of a three-level tree
/// whose leaves end on other workers.
#[test]
fn every_event_of_the_tree_is_delivered_before_close_returns() {
    let rt = two_workers();
    rt.block_on(async {
        within(async {
            for run in 0..10_000 {
                let app = Process::new().named("app");
                let log = record(&app);
                let mid = Process::with_parent(&app).named("mid");
                mid.child().named("leaf").go(|me| async move {
                    me.closing().await;
                });
                mid.child().named("quick").go(|_| async {});
                if run % 2 == 0 {
                    tokio::task::yield_now().await;
                }
                app.close().await.unwrap();
                let events = log.events();
                assert_eq!(
                    events.last().map(String::as_str),
                    Some("app: Closed"),
                    "run {run}"
                );
                for name in ["app", "mid", "leaf", "quick"] {
                    assert!(
                        events.contains(&format!("{name}: Closed")),
                        "run {run}: {name}'s Closed missing from {events:?}"
                    );
                }
            }
        })
        .await;
    });
}

/// `closed()` and `err()` of a process resolve after its own last events.
#[tokio::test]
async fn closed_and_err_resolve_after_the_processs_last_events() {
    let p = Process::with_teardown(|| Err("flush failed".into())).named("db");
    let log = record(&p);
    let (a, b) = (p.closed(), p.err());
    p.request_close();
    within(a).await;
    assert_eq!(log.events(), ["db: Closing", "db: Failed", "db: Closed"]);
    assert!(within(b).await.is_err());
}

/// Each subscriber sees each process's events in lifecycle order: a first
/// subscriber that takes 20 ms on `Closing` must not let the function's
/// end (on another worker) deliver `Closed` first.
#[test]
fn closing_comes_before_closed_behind_a_slow_subscriber() {
    let rt = two_workers();
    rt.block_on(async {
        within(async {
            for _ in 0..50 {
                let app = Process::new().named("app");
                app.on_event(|e| {
                    if let Event::Closing { process, .. } = e
                        && process.name() == "worker"
                    {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                });
                let log = record(&app);
                // It sees the phase change at once, without being woken.
                let worker = app.child().named("worker").go(|me| async move {
                    while !me.is_closing() {
                        tokio::task::yield_now().await;
                    }
                });
                let closer = app.clone();
                let close = tokio::spawn(async move { closer.close().await });
                close.await.unwrap().unwrap();
                let events: Vec<String> = log
                    .events()
                    .into_iter()
                    .filter(|e| e.starts_with("worker"))
                    .collect();
                assert_eq!(events, ["worker: Closing", "worker: Closed"]);
                assert!(worker.is_closed());
            }
        })
        .await;
    });
}

/// The same without a slow subscriber, many times: the close is asked
/// from one worker while the function returns on the other.
#[test]
fn closing_comes_before_closed_when_the_function_returns_meanwhile() {
    let rt = two_workers();
    rt.block_on(async {
        within(async {
            for run in 0..10_000 {
                let p = Process::new().named("p");
                let log = record(&p);
                let job = p.child().named("job").go(|_| async {});
                let asker = job.clone();
                let ask = tokio::spawn(async move { asker.request_close() });
                ask.await.unwrap();
                p.close().await.unwrap();
                let events: Vec<String> = log
                    .events()
                    .into_iter()
                    .filter(|e| e.starts_with("job"))
                    .collect();
                assert_eq!(events, ["job: Closing", "job: Closed"], "run {run}");
            }
        })
        .await;
    });
}

/// A subscriber that panics on the app's `Closing`, or on a child's
/// `Closed`, is reported; the tree still closes, and `closed()` and a
/// second `close()` return.
#[tokio::test]
async fn a_panicking_subscriber_does_not_wedge_the_tree() {
    quiet_injected_panics();
    for on in ["app: Closing", "child: Closed"] {
        let app = Process::new().named("app");
        let child = Process::with_parent(&app).named("child");
        let grandchild = child.child().named("grandchild").go(|me| async move {
            me.closing().await;
        });
        app.on_event(move |e| {
            let line = match e {
                Event::Closing { process, .. } => format!("{process}: Closing"),
                Event::Closed { process, .. } => format!("{process}: Closed"),
                _ => String::new(),
            };
            if line == on {
                panic!("injected: a subscriber bug on {on}");
            }
        });
        let log = record(&app); // a second subscriber still hears all
        within(app.close()).await.unwrap();
        within(app.closed()).await;
        within(app.close()).await.unwrap();
        assert!(child.is_closed() && grandchild.is_closed(), "{on}");
        assert_eq!(log.events().last().map(String::as_str), Some("app: Closed"));
    }
}

/// A subscriber may call anything on any process, `close_blocking` on its
/// own process or an ancestor included: from there it is a close from
/// inside (started, and returns at once), not a deadlock.
#[test]
fn a_subscriber_may_close_blocking_its_own_process_or_an_ancestor() {
    for target in ["self", "ancestor"] {
        within_blocking(move || {
            let app = Process::new().named("app");
            let child = Process::with_parent(&app).named("child");
            let grandchild = Process::with_parent(&child).named("grandchild");
            let returned = Arc::new(AtomicUsize::new(0));
            let (r, a, c) = (returned.clone(), app.clone(), child.clone());
            child.on_event(move |e| {
                if let Event::Closing { process, .. } = e
                    && process.id() == c.id()
                {
                    let result = match target {
                        "self" => c.close_blocking(),
                        _ => a.close_blocking(),
                    };
                    assert!(result.is_ok(), "{result:?}");
                    r.fetch_add(1, Ordering::SeqCst);
                }
            });
            grandchild.request_close();
            child.close_blocking().unwrap();
            assert_eq!(returned.load(Ordering::SeqCst), 1, "{target}");
            if target == "ancestor" {
                app.close_blocking().unwrap();
                assert!(app.is_closed());
            }
            assert!(child.is_closed());
        });
    }
}

/// The same on a multi-thread runtime, with the subscriber on a child's
/// `Closed` closing the root: the close that delivers the event does not
/// hold the root's queued work.
#[test]
fn a_subscriber_on_a_childs_closed_may_close_blocking_the_root() {
    let rt = two_workers();
    rt.block_on(async {
        let app = Process::new().named("app");
        let child = Process::with_parent(&app).named("child");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s, a) = (seen.clone(), app.clone());
        app.on_event(move |e| {
            if let Event::Closed { process, .. } = e
                && process.name() == "child"
            {
                s.lock().unwrap().push(a.close_blocking().is_ok());
            }
        });
        within(child.close()).await.unwrap();
        within(app.closed()).await;
        assert_eq!(*seen.lock().unwrap(), [true]);
    });
}
