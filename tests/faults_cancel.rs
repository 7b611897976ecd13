//! Fault injection: `close()` (and friends) dropped at every await point.
//! Each future is polled N times with a no-op waker (letting the runtime
//! run in between), then dropped, for N = 1..k; then the shutdown must
//! still complete by itself: every teardown exactly once, every `closed()`
//! resolved, no edge left.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Waker};
use std::time::Duration;

use common::{Log, within};
use goprocess::{ErrorKind, Process};

/// How many polls cover every await point of [`tree`]'s close (measured:
/// it completes in fewer; the loop stops early then).
const MAX_POLLS: usize = 16;

struct Tree {
    root: Process,
    all: Vec<Process>,
    log: Log,
}

/// A root with an async teardown (3 awaits), a worker that drains for 2
/// awaits after closing, a child with an async teardown (2 awaits) whose
/// own child has a sync teardown.
fn tree() -> Tree {
    let log = Log::new();
    let l = log.clone();
    let root = Process::with_async_teardown(move || async move {
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        l.push("root");
        Ok(())
    });
    let l = log.clone();
    let worker = root.go(move |me| async move {
        me.closing().await;
        for _ in 0..2 {
            tokio::task::yield_now().await;
        }
        l.push("worker");
    });
    let child = Process::with_parent(&root);
    let l = log.clone();
    child
        .set_async_teardown(move || async move {
            for _ in 0..2 {
                tokio::task::yield_now().await;
            }
            l.push("child");
            Ok(())
        })
        .unwrap();
    let grandchild = Process::with_parent(&child);
    grandchild.set_teardown(log.teardown("grandchild")).unwrap();
    Tree {
        all: vec![root.clone(), worker, child, grandchild],
        root,
        log,
    }
}

/// Polls `fut` up to `n` times with a no-op waker, yielding to the runtime
/// after each poll; returns whether it completed.
async fn poll_n_then_drop<F: Future>(fut: F, n: usize) -> bool {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..n {
        if fut.as_mut().poll(&mut cx).is_ready() {
            return true;
        }
        tokio::task::yield_now().await;
    }
    false
}

async fn assert_finished_once(tree: &Tree) {
    for p in &tree.all {
        within(p.closed()).await;
    }
    let mut events = tree.log.events();
    assert_eq!(
        events.last().map(String::as_str),
        Some("root"),
        "{events:?}"
    );
    assert!(tree.log.pos("grandchild") < tree.log.pos("child"));
    events.sort();
    assert_eq!(events, ["child", "grandchild", "root", "worker"]);
    for p in &tree.all {
        assert_eq!(common::edge_counts(p), (0, 0));
        assert!(within(p.err()).await.is_ok());
    }
}

#[tokio::test]
async fn a_close_dropped_at_every_await_point_still_finishes_once() {
    let mut completed_at = None;
    for n in 1..=MAX_POLLS {
        let tree = tree();
        if poll_n_then_drop(tree.root.close(), n).await {
            completed_at.get_or_insert(n);
        }
        assert!(
            tree.root.is_closing(),
            "n = {n}: the first poll started the close"
        );
        assert_finished_once(&tree).await;
    }
    assert!(
        completed_at.is_some(),
        "MAX_POLLS covers the whole close, so every await point was a drop point"
    );
}

#[tokio::test]
async fn a_close_dropped_before_its_first_poll_does_nothing() {
    let tree = tree();
    drop(tree.root.close());
    tokio::task::yield_now().await;
    assert!(
        !tree.root.is_closing(),
        "nothing happens until the first poll"
    );
    within(tree.root.close()).await.unwrap();
    assert_finished_once(&tree).await;
}

#[tokio::test]
async fn close_after_children_dropped_at_every_await_point() {
    for n in 1..=MAX_POLLS {
        let log = Log::new();
        let root = Process::with_teardown(log.teardown("root"));
        let l = log.clone();
        let job = root.go(move |_| async move {
            for _ in 0..4 {
                tokio::task::yield_now().await;
            }
            l.push("job");
        });
        poll_n_then_drop(root.close_after_children(), n).await;
        // The request stands: once the job ends by itself, the root closes.
        within(root.closed()).await;
        assert_eq!(log.events(), ["job", "root"], "n = {n}");
        assert!(job.is_closed());
        assert_eq!(common::edge_counts(&root), (0, 0));
    }
}

#[tokio::test(start_paused = true)]
async fn close_within_dropped_at_every_await_point_still_escalates() {
    for n in 1..=6 {
        let root = Process::new();
        let stuck = root.go(|_| std::future::pending::<()>());
        poll_n_then_drop(root.close_within(Duration::from_secs(1)), n).await;
        // The budget still fires: the stuck task is aborted, all close.
        within(root.closed()).await;
        assert_eq!(
            stuck.err().await.unwrap_err().kind(),
            ErrorKind::Aborted,
            "n = {n}"
        );
        assert_eq!(common::edge_counts(&root), (0, 0));
    }
}

#[tokio::test]
async fn err_closing_and_closed_dropped_never_close_anything() {
    let tree = tree();
    for n in 1..=4 {
        poll_n_then_drop(tree.root.err(), n).await;
        poll_n_then_drop(tree.root.closing(), n).await;
        poll_n_then_drop(tree.root.closed(), n).await;
    }
    assert!(!tree.root.is_closing());
    within(tree.root.close()).await.unwrap();
    assert_finished_once(&tree).await;
}

#[tokio::test]
async fn a_task_running_close_aborted_at_every_await_point() {
    for n in 0..MAX_POLLS {
        let tree = tree();
        let task = tokio::spawn(tree.root.close());
        for _ in 0..n {
            tokio::task::yield_now().await;
        }
        task.abort();
        let _ = task.await;
        if tree.root.is_closing() {
            assert_finished_once(&tree).await;
        } else {
            // Aborted before its first poll: close it for real.
            within(tree.root.close()).await.unwrap();
            assert_finished_once(&tree).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_racing_closes_dropped_at_random_points_run_the_teardown_once() {
    let runs = Arc::new(AtomicUsize::new(0));
    for round in 0..50 {
        let r = runs.clone();
        let p = Process::with_async_teardown(move || async move {
            tokio::task::yield_now().await;
            r.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
        let tasks: Vec<_> = (0..8).map(|_| tokio::spawn(p.close())).collect();
        for (i, t) in tasks.iter().enumerate() {
            if (i + round) % 2 == 0 {
                t.abort();
            }
        }
        for t in tasks {
            if let Ok(result) = t.await {
                assert!(result.is_ok());
            }
        }
        within(p.closed()).await;
    }
    assert_eq!(runs.load(Ordering::SeqCst), 50);
}
