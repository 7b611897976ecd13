//! Fault injection: a tokio runtime shut down (dropped) while processes
//! that use it are open.
//!
//! What happens, as these tests pin it:
//!
//! 1. **`go` functions** running on the runtime are dropped with it; each
//!    function's task carries a guard, so its process still closes, with
//!    `ErrorKind::Aborted` ("its task was dropped before the function
//!    returned"), and its parent lists it among its failed children.
//!    Nobody waits for a function that is gone; its children are closed
//!    (not waited for).
//! 2. **An async teardown** running on the runtime when it is dropped ends
//!    the same way: its process becomes Closed with `ErrorKind::Aborted`,
//!    its teardown having run at most once (partly).
//! 3. **An async teardown started while its runtime shuts down, or after
//!    it was dropped** (never polled there) runs on the small fallback
//!    runtime (as `with_async_teardown` documents: a process closed from a
//!    plain thread still tears down), once, to completion.
//! 4. **`close()` futures and `close_within` timers** that lived on the
//!    dropped runtime are dropped with it; dropping a close does not stop
//!    the shutdown, so the processes still close (through 1 and 2). A
//!    budget whose timer task was dropped never fires: what it would have
//!    escalated is only what 1 and 2 already ended.
//! 5. Processes not touched by the runtime (sync teardowns, plain
//!    relations) are unaffected and can be closed afterwards from any
//!    thread with `close_blocking`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Log, within_blocking};
use goprocess::{ErrorKind, Process};

fn runtime(threads: Option<usize>) -> tokio::runtime::Runtime {
    match threads {
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

/// Waits, from a plain thread, until `p` is closed.
fn closed_blocking(p: &Process) {
    let p = p.clone();
    within_blocking(move || {
        let rt = runtime(None);
        rt.block_on(async move {
            tokio::time::timeout(Duration::from_secs(10), p.closed())
                .await
                .expect("closed() resolves")
        })
    });
}

#[test]
fn go_functions_of_a_dropped_runtime_close_with_aborted() {
    for threads in [None, Some(2)] {
        let log = Log::new();
        let parent = Process::with_teardown(log.teardown("parent")).named("server");
        let rt = runtime(threads);
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let workers: Vec<Process> = (0..10)
            .map(|i| {
                let tx = started_tx.clone();
                let _g = rt.enter();
                parent
                    .go(move |_| async move {
                        tx.send(()).unwrap();
                        std::future::pending::<()>().await
                    })
                    .named(format!("w{i}"))
            })
            .collect();
        // The workers' own children, closed when their function is gone.
        let grandchildren: Vec<Process> = workers.iter().map(Process::with_parent).collect();
        let r = std::thread::spawn(move || {
            rt.block_on(async {
                for _ in 0..10 {
                    tokio::task::yield_now().await;
                }
            });
            rt
        });
        let rt = r.join().unwrap();
        for _ in 0..10 {
            started_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        }
        drop(rt); // shut down with the functions pending

        for w in workers.iter().chain(&grandchildren) {
            closed_blocking(w);
        }
        for w in &workers {
            let err = closed_err(w);
            assert_eq!(err.kind(), ErrorKind::Aborted, "{err}");
            assert!(err.to_string().contains("runtime shut down"), "{err}");
        }
        assert_eq!(common::edge_counts(&parent), (0, 0));
        assert!(
            !parent.is_closing(),
            "the parent itself is not closed by it"
        );
        let p = parent.clone();
        let err = within_blocking(move || p.close_blocking()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Children);
        assert_eq!(err.children().len(), 10);
        assert_eq!(log.events(), ["parent"]);
    }
}

fn closed_err(p: &Process) -> goprocess::Error {
    let p = p.clone();
    within_blocking(move || runtime(None).block_on(async move { p.err().await.unwrap_err() }))
}

#[test]
fn an_async_teardown_running_when_its_runtime_is_dropped() {
    let runs = Arc::new(AtomicUsize::new(0));
    let rt = runtime(None);
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let r = runs.clone();
    let p = Process::with_async_teardown(move || async move {
        r.fetch_add(1, Ordering::SeqCst);
        started_tx.send(()).unwrap();
        std::future::pending::<Result<(), goprocess::BoxError>>().await
    })
    .named("stuck");
    let q = p.clone();
    rt.block_on(async move {
        let close = tokio::spawn(q.close());
        tokio::task::yield_now().await;
        tokio::task::yield_now().await;
        drop(close); // the JoinHandle only; the close task stays on rt
    });
    started_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    drop(rt);
    closed_blocking(&p);
    assert_eq!(closed_err(&p).kind(), ErrorKind::Aborted);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[test]
fn an_async_teardown_whose_runtime_is_gone_runs_on_the_fallback() {
    let runs = Arc::new(AtomicUsize::new(0));
    let rt = runtime(None);
    let r = runs.clone();
    let p = rt.block_on(async move {
        Process::with_async_teardown(move || async move {
            tokio::task::yield_now().await;
            r.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
    });
    drop(rt);
    let q = p.clone();
    within_blocking(move || q.close_blocking()).unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

/// A `go` process with an async teardown whose runtime is dropped: the
/// function is aborted with the runtime, which starts the close while the
/// runtime shuts down; the teardown it starts must not be dropped with it
/// (it used to be, unpolled, and never ran). It runs once, on the
/// fallback runtime, before the process is Closed.
#[test]
fn an_async_teardown_started_while_its_runtime_shuts_down_runs_once() {
    for threads in [None, Some(1), Some(2)] {
        let runs = Arc::new(AtomicUsize::new(0));
        let rt = runtime(threads);
        let r = runs.clone();
        let p = rt.block_on(async move {
            let p = goprocess::go(|me| async move { me.closing().await }).named("worker");
            p.set_async_teardown(move || async move {
                tokio::task::yield_now().await;
                r.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
            .unwrap();
            tokio::task::yield_now().await; // the function is running
            p
        });
        drop(rt);
        let q = p.clone();
        let err = within_blocking(move || q.close_blocking()).unwrap_err();
        assert_eq!(
            runs.load(Ordering::SeqCst),
            1,
            "{threads:?}: the teardown ran once"
        );
        // The function was aborted with its runtime; the teardown did not fail.
        assert_eq!(err.kind(), ErrorKind::Aborted, "{err}");
        assert!(err.also().is_none(), "{err}");
    }
}

#[test]
fn a_close_within_on_a_dropped_runtime_still_lets_everything_close() {
    let rt = runtime(Some(2));
    let app = Process::new().named("app");
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let worker = {
        let _g = rt.enter();
        app.go(move |_| async move {
            started_tx.send(()).unwrap();
            std::future::pending::<()>().await
        })
    };
    started_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    let budget = rt.spawn(app.close_within(Duration::from_secs(3600)));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !app.is_closing() {
        assert!(
            std::time::Instant::now() < deadline,
            "the close never started"
        );
        std::thread::yield_now();
    }
    drop(budget);
    drop(rt); // the timer, the close and the worker's task all go
    closed_blocking(&worker);
    closed_blocking(&app);
    assert_eq!(closed_err(&worker).kind(), ErrorKind::Aborted);
    assert_eq!(closed_err(&app).kind(), ErrorKind::Children);
    assert_eq!(common::edge_counts(&app), (0, 0));
}

#[test]
fn processes_without_tasks_are_unaffected_by_a_dropped_runtime() {
    let log = Log::new();
    let rt = runtime(None);
    let (root, child) = rt.block_on(async {
        let root = Process::with_teardown(log.teardown("root"));
        let child = Process::with_parent(&root);
        child.set_teardown(log.teardown("child")).unwrap();
        (root, child)
    });
    drop(rt);
    assert!(!root.is_closing());
    let r = root.clone();
    within_blocking(move || r.close_blocking()).unwrap();
    assert!(child.is_closed());
    assert_eq!(log.events(), ["child", "root"]);
}

/// "If this worker dies, shut the app down": a drop guard in a `go`
/// function whose `Drop` calls `app.close_blocking()`. When a budget
/// aborts the function, the guard runs as code of the worker's process (a
/// close from inside, which returns at once), so the worker closes, no
/// runtime thread stays stuck, and dropping the runtime returns.
#[test]
fn a_drop_guard_closing_the_app_from_an_aborted_function_does_not_deadlock() {
    struct ShutDownOnDrop(Process);
    impl Drop for ShutDownOnDrop {
        fn drop(&mut self) {
            let _ = self.0.close_blocking();
        }
    }
    for threads in [Some(2), None] {
        within_blocking(move || {
            let rt = runtime(threads);
            let (app, worker) = rt.block_on(async {
                let app = Process::new().named("app");
                let a = app.clone();
                let worker = app.child().named("worker").go(move |_| async move {
                    let _guard = ShutDownOnDrop(a);
                    std::future::pending::<()>().await
                });
                let err = app
                    .close_within(Duration::from_millis(50))
                    .await
                    .unwrap_err();
                assert_eq!(err.kind(), ErrorKind::Timeout);
                tokio::time::timeout(Duration::from_secs(5), worker.closed())
                    .await
                    .expect("the aborted worker closes");
                (app, worker)
            });
            drop(rt);
            assert_eq!(closed_err(&worker).kind(), ErrorKind::Aborted);
            assert!(app.is_closed());
        });
    }
}
