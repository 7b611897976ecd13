//! Concurrency: many closers, relations racing close, deep chains.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::within;
use goprocess::{ErrorKind, Process};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_closers_one_teardown_one_result() {
    for _ in 0..50 {
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        let p = Process::with_teardown(move || {
            r.fetch_add(1, Ordering::SeqCst);
            Err("shared failure".into())
        });
        let child = p.go(|me| async move { me.closing().await });
        let closers: Vec<_> = (0..64).map(|_| tokio::spawn(p.close())).collect();
        let mut texts = Vec::new();
        for c in closers {
            let err = within(c).await.unwrap().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Teardown);
            texts.push(err.to_string());
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1, "teardown exactly once");
        texts.dedup();
        assert_eq!(texts.len(), 1, "every closer sees the same error");
        assert!(child.is_closed());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn relations_racing_close_never_panic_hang_or_leak_a_child() {
    for round in 0..300 {
        let parent = Process::new();
        let closer = {
            let p = parent.clone();
            tokio::spawn(async move {
                tokio::task::yield_now().await;
                p.close().await
            })
        };
        let mut added = Vec::new();
        let mut spawned = Vec::new();
        let mut targets = Vec::new();
        for i in 0..8 {
            let c = Process::new();
            match parent.add_child(&c) {
                Ok(()) => added.push(c),
                Err(e) => assert_eq!(e.kind(), ErrorKind::Closed),
            }
            spawned.push(parent.go(|me| async move { me.closing().await }));
            let q = Process::new();
            match parent.wait_for(&q) {
                Ok(()) => targets.push(q),
                Err(e) => assert_eq!(e.kind(), ErrorKind::Closed),
            }
            if (i + round) % 3 == 0 {
                tokio::task::yield_now().await;
            }
        }
        for q in &targets {
            within(q.close()).await.unwrap();
        }
        within(closer).await.unwrap().unwrap();
        for c in added.iter().chain(&spawned) {
            assert!(c.is_closed(), "an accepted child is closed with its parent");
        }
        for s in &spawned {
            let r = within(s.err()).await;
            assert!(r.is_ok() || r.unwrap_err().kind() == ErrorKind::ParentClosed);
        }
        assert_eq!(common::edge_counts(&parent), (0, 0));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_from_two_threads_into_one_parent() {
    let parent = Process::new();
    let done = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let (p, d) = (parent.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..5_000 {
                let d = d.clone();
                p.go(move |_| async move {
                    d.fetch_add(1, Ordering::Relaxed);
                });
            }
        }));
    }
    for t in tasks {
        within(t).await.unwrap();
    }
    within(parent.close()).await.unwrap();
    assert_eq!(done.load(Ordering::Relaxed), 10_000);
    assert_eq!(common::edge_counts(&parent), (0, 0));
}

const DEPTH: usize = 100_000;

fn chain(depth: usize) -> (Process, Process) {
    let root = Process::new();
    let mut leaf = root.clone();
    for _ in 0..depth {
        leaf = Process::with_parent(&leaf);
    }
    (root, leaf)
}

#[test]
fn closing_a_chain_100_000_deep_does_not_overflow_the_stack() {
    // A small stack makes recursion proportional to depth fail loudly.
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let (root, leaf) = chain(DEPTH);
            root.close_blocking().unwrap();
            assert!(leaf.is_closed());
            assert_eq!(common::edge_counts(&root), (0, 0));

            // Leaf first: each close finishes and lets its parent go on.
            let (root, leaf) = chain(DEPTH);
            let order = Arc::new(AtomicUsize::new(0));
            let o = order.clone();
            leaf.set_teardown(move || {
                o.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
            .unwrap();
            root.close_blocking().unwrap();
            assert_eq!(order.load(Ordering::SeqCst), 1);

            // Dropping an unclosed chain frees it without recursion either.
            let (root, leaf) = chain(DEPTH);
            drop(leaf);
            drop(root);
        })
        .unwrap();
    handle.join().expect("no stack overflow");
}
