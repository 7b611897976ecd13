//! A budget bounds every close, on every runtime flavour: sync teardowns
//! that block, and async teardowns whose home runtime nobody drives any
//! more, cannot hold a close (or its budget) past its deadline.

mod common;

use std::time::{Duration, Instant};

use common::{Log, within_blocking};
use goprocess::{ErrorKind, Process};

fn runtime(workers: Option<usize>) -> tokio::runtime::Runtime {
    match workers {
        None => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        Some(n) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build()
            .unwrap(),
    }
}

/// Two `go` children whose sync teardowns block for a second: their
/// functions end on the runtime's threads, where the teardowns would run
/// inline and block the very threads the budget's timer runs on. The
/// budget still returns at its deadline, with `Timeout` naming them.
#[test]
fn close_within_returns_on_time_over_blocking_sync_teardowns() {
    for workers in [None, Some(2)] {
        within_blocking(move || {
            let rt = runtime(workers);
            rt.block_on(async {
                let app = Process::new().named("app");
                for name in ["a", "b"] {
                    let child = app.child().named(name).go(|me| async move {
                        me.closing().await;
                    });
                    child
                        .set_teardown(|| {
                            std::thread::sleep(Duration::from_secs(1));
                            Ok(())
                        })
                        .unwrap();
                }
                let started = Instant::now();
                let result = app.close_within(Duration::from_millis(100)).await;
                let took = started.elapsed();
                let err = result.expect_err("the teardowns outlast the budget");
                assert_eq!(err.kind(), ErrorKind::Timeout, "{workers:?}: {err}");
                assert!(
                    took < Duration::from_millis(700),
                    "{workers:?}: returned after {took:?}, the teardowns took 1 s"
                );
                let shown = err.to_string();
                assert!(
                    shown.contains("`app/a`") && shown.contains("`app/b`"),
                    "{shown}"
                );
            });
        });
    }
}

/// The same for a process's own budget (`close_timeout`) closed with an
/// ordinary `close()`: the children it escalates report on time.
#[test]
fn a_close_timeout_returns_on_time_over_a_blocking_sync_teardown() {
    within_blocking(|| {
        let rt = runtime(None);
        rt.block_on(async {
            let app = Process::new().named("app");
            let slow = app
                .child()
                .named("slow")
                .close_timeout(Duration::from_millis(100))
                .go(|me| async move {
                    me.closing().await;
                });
            slow.set_teardown(|| {
                std::thread::sleep(Duration::from_secs(1));
                Ok(())
            })
            .unwrap();
            let started = Instant::now();
            let err = app.close().await.unwrap_err();
            assert!(started.elapsed() < Duration::from_millis(700));
            assert_eq!(err.children()[0].error().kind(), ErrorKind::Timeout);
        });
    });
}

/// A process made inside `rt.block_on` on a current-thread runtime, with
/// an async teardown set there, closed with `close_blocking()` from `main`
/// once `block_on` has returned: nobody drives that runtime any more, so
/// its teardown runs on the fallback runtime instead of never.
#[test]
fn an_async_teardown_whose_current_thread_home_is_idle_still_runs() {
    within_blocking(|| {
        let log = Log::new();
        let rt = runtime(None);
        let p = rt.block_on(async {
            let l = log.clone();
            Process::with_async_teardown(move || async move {
                tokio::task::yield_now().await;
                l.push("teardown ran");
                Ok(())
            })
            .named("made in block_on")
        });
        p.close_blocking().unwrap();
        assert_eq!(log.events(), ["teardown ran"]);
        drop(rt);
    });
}

/// When the home runtime is driven meanwhile, the teardown runs once.
#[test]
fn an_async_teardown_runs_once_on_its_driven_current_thread_home() {
    within_blocking(|| {
        let log = Log::new();
        let rt = runtime(None);
        let l = log.clone();
        let p = rt.block_on(async {
            Process::with_async_teardown(move || async move {
                l.push("teardown ran");
                Ok(())
            })
        });
        let closer = {
            let p = p.clone();
            std::thread::spawn(move || p.close_blocking())
        };
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(5), p.closed())
                .await
                .expect("closed")
        });
        closer.join().unwrap().unwrap();
        assert_eq!(log.events(), ["teardown ran"]);
    });
}
