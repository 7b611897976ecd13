//! Memory, measured with a counting global allocator (heap bytes still
//! allocated, not RSS, so the numbers are exact and repeatable):
//!
//! - bytes and allocations per idle task-less process vs a
//!   `CancellationToken::child_token` and a hand-written signal node;
//! - bytes and allocations per idle child *task* for every peer;
//! - allocations per spawn-and-wait (scenario (a)), the first thing to
//!   look at when making spawning cheaper;
//! - heap and RSS of a long-lived parent after 1,000,000 short-lived
//!   children (scenario (c)).
//!
//! Prints Markdown tables. Not a criterion bench: `cargo bench -p
//! goprocess-benches --bench memory`. Under `cargo test --benches` (no
//! `--bench` argument) or with `GOPROCESS_BENCH_QUICK=1` it runs with
//! small counts.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

use common::{Node, Signal, Started};
use goprocess::Process;
use tokio::task::JoinSet;
use tokio_graceful_shutdown::{SubsystemBuilder, SubsystemHandle, Toplevel};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[derive(Clone, Copy)]
struct Mark {
    live: isize,
    allocs: usize,
}

fn mark() -> Mark {
    Mark {
        live: LIVE.load(Ordering::Relaxed),
        allocs: ALLOCS.load(Ordering::Relaxed),
    }
}

/// (bytes, allocations) per item since `m`.
fn per(m: Mark, n: usize) -> (f64, f64) {
    let now = mark();
    (
        (now.live - m.live) as f64 / n as f64,
        (now.allocs - m.allocs) as f64 / n as f64,
    )
}

fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * 4
}

fn row(what: &str, (bytes, allocs): (f64, f64)) {
    println!("| {what} | {bytes:.0} | {allocs:.2} |");
}

/// Idle task-less nodes: `n` children of one root, handles kept.
fn taskless(n: usize) {
    println!("\n### Idle task-less node (n = {n}, handles kept)\n");
    println!("| peer | bytes per node | allocations per node |");
    println!("| --- | ---: | ---: |");
    let root = Process::new();
    let mut v = Vec::with_capacity(n);
    let m = mark();
    v.extend((0..n).map(|_| Process::with_parent(&root)));
    row("goprocess `Process::with_parent`", per(m, n));
    root.close_blocking().unwrap();
    drop(v);

    let root = CancellationToken::new();
    let mut v = Vec::with_capacity(n);
    let m = mark();
    v.extend((0..n).map(|_| root.child_token()));
    row("tokio-util `child_token`", per(m, n));
    drop(v);

    let root = Arc::new(Node::default());
    let mut v = Vec::with_capacity(n);
    let m = mark();
    v.extend((0..n).map(|_| root.child()));
    row("tokio (hand-written node)", per(m, n));
    drop(v);
}

/// Idle child tasks parked on their close signal: `n` of them.
fn tasks(n: usize) {
    println!("\n### Idle child task (n = {n}, handles kept)\n");
    println!("| peer | bytes per child | allocations per child |");
    println!("| --- | ---: | ---: |");
    let rt = common::current_thread();
    rt.block_on(async {
        let started = Started::default();

        let parent = Process::new();
        let mut v = Vec::with_capacity(n);
        let m = mark();
        for _ in 0..n {
            let s = started.clone();
            v.push(parent.go(move |me| async move {
                s.mark();
                me.closing().await
            }));
        }
        started.wait(n).await;
        row("goprocess `go`", per(m, n));
        parent.close().await.unwrap();
        drop(v);

        let signal = Signal::default();
        let mut v = Vec::with_capacity(n);
        let m = mark();
        for _ in 0..n {
            let (s, sig) = (started.clone(), signal.clone());
            v.push(tokio::spawn(async move {
                s.mark();
                sig.fired().await
            }));
        }
        started.wait(n).await;
        row("tokio `spawn` + signal", per(m, n));
        signal.fire();
        for h in v {
            h.await.unwrap();
        }

        let (token, tracker) = (CancellationToken::new(), TaskTracker::new());
        let mut v = Vec::with_capacity(n);
        let m = mark();
        for _ in 0..n {
            let (s, t) = (started.clone(), token.child_token());
            v.push(tracker.spawn(async move {
                s.mark();
                t.cancelled().await
            }));
        }
        started.wait(n).await;
        row("tokio-util `TaskTracker` + `child_token`", per(m, n));
        token.cancel();
        for h in v {
            h.await.unwrap();
        }

        let token = CancellationToken::new();
        let mut set = JoinSet::new();
        set.spawn(async {}); // the set's own first allocation is not per child
        set.join_next().await;
        let m = mark();
        for _ in 0..n {
            let (s, t) = (started.clone(), token.child_token());
            set.spawn(async move {
                s.mark();
                t.cancelled().await
            });
        }
        started.wait(n).await;
        row("`JoinSet` + `child_token`", per(m, n));
        token.cancel();
        set.join_all().await;
    });

    let (tx, rx) = std::sync::mpsc::channel();
    rt.block_on(async move {
        Toplevel::new(async move |s: &mut SubsystemHandle| {
            let started = Started::default();
            let st = started.clone();
            let m = mark();
            let parent = s.start(SubsystemBuilder::new(
                "parent",
                async move |s: &mut SubsystemHandle| {
                    for _ in 0..n {
                        let started = st.clone();
                        s.start(SubsystemBuilder::new(
                            "child",
                            async move |s: &mut SubsystemHandle| {
                                started.mark();
                                s.on_shutdown_requested().await;
                                Ok::<(), Infallible>(())
                            },
                        ));
                    }
                    s.on_shutdown_requested().await;
                    Ok::<(), Infallible>(())
                },
            ));
            started.wait(n).await;
            tx.send(per(m, n)).unwrap();
            parent.initiate_shutdown();
            parent.join().await.unwrap();
            s.request_shutdown();
        })
        .handle_shutdown_requests(std::time::Duration::from_secs(60))
        .await
        .unwrap();
    });
    row(
        "tokio-graceful-shutdown nested subsystem",
        rx.recv().unwrap(),
    );
}

/// Allocations (and bytes still held afterwards) per spawn-and-wait of a
/// no-op child from a long-lived parent.
fn spawn_wait(n: usize) {
    println!("\n### Spawn one no-op child and wait for it (n = {n})\n");
    println!("| peer | bytes left per child | allocations per child |");
    println!("| --- | ---: | ---: |");
    let rt = common::current_thread();
    rt.block_on(async {
        let parent = Process::new();
        parent.go(|_| async {}).closed().await;
        let m = mark();
        for _ in 0..n {
            parent.go(|_| async {}).closed().await;
        }
        row("goprocess `go` + `closed()`", per(m, n));
        parent.close().await.unwrap();

        let signal = Signal::default();
        let m = mark();
        for _ in 0..n {
            let s = signal.clone();
            tokio::spawn(async move { drop(s) }).await.unwrap();
        }
        row("tokio `spawn` + `JoinHandle`", per(m, n));

        let (token, tracker) = (CancellationToken::new(), TaskTracker::new());
        let m = mark();
        for _ in 0..n {
            let t = token.child_token();
            tracker.spawn(async move { drop(t) }).await.unwrap();
        }
        row("tokio-util `TaskTracker` + `child_token`", per(m, n));
    });
}

/// A long-lived parent running `total` short-lived children in batches of
/// 1,000: heap growth and RSS after a tenth of them and after all, to
/// show both flat.
fn million(total: usize) {
    println!("\n### A long-lived parent running {total} short-lived children (batches of 1,000)\n");
    println!(
        "| peer | heap growth after {} (bytes) | after {total} (bytes) | RSS after {} (KiB) | after {total} (KiB) |",
        total / 10,
        total / 10
    );
    println!("| --- | ---: | ---: | ---: | ---: |");
    let rt = common::current_thread();
    rt.block_on(async {
        let mut batch = Vec::with_capacity(1_000);
        let parent = Process::new();
        let mut tenth = (0, 0);
        let m = mark();
        for i in 0..total / 1_000 {
            batch.extend((0..1_000).map(|_| parent.go(|_| async {})));
            for p in batch.drain(..) {
                p.closed().await;
            }
            if i + 1 == total / 10_000 {
                tenth = (mark().live - m.live, rss_kib());
            }
        }
        let snapshot = parent.snapshot();
        let info = snapshot
            .get(parent.id())
            .expect("a snapshot holds its root");
        assert!(
            info.edges().is_empty() && info.incoming().is_empty(),
            "edge sets stay empty"
        );
        drop(snapshot);
        let grown = mark().live - m.live;
        println!(
            "| goprocess `go` + `closed()` | {} | {grown} | {} | {} |",
            tenth.0,
            tenth.1,
            rss_kib()
        );
        parent.close().await.unwrap();

        let mut batch = Vec::with_capacity(1_000);
        let (token, tracker) = (CancellationToken::new(), TaskTracker::new());
        let m = mark();
        for i in 0..total / 1_000 {
            batch.extend((0..1_000).map(|_| {
                let t = token.child_token();
                tracker.spawn(async move { drop(t) })
            }));
            for h in batch.drain(..) {
                h.await.unwrap();
            }
            if i + 1 == total / 10_000 {
                tenth = (mark().live - m.live, rss_kib());
            }
        }
        let grown = mark().live - m.live;
        println!(
            "| tokio-util `TaskTracker` + `child_token` | {} | {grown} | {} | {} |",
            tenth.0,
            tenth.1,
            rss_kib()
        );
    });
}

fn main() {
    let small = common::quick() || !std::env::args().any(|a| a == "--bench");
    let (n, total) = if small {
        (1_000, 10_000)
    } else {
        (100_000, 1_000_000)
    };
    println!("## Memory (counting global allocator)");
    // First, while RSS still reflects only this measurement.
    million(total);
    taskless(n);
    tasks(n);
    spawn_wait(n);
}
