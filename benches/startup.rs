//! Time to ready (docs/benchmarks.md, "Time to ready"), each against a
//! hand-wired `tokio::sync::oneshot` per part:
//!
//! - (r1) a `#[process]` struct tree: a root struct with 100 group structs
//!   of 100 part structs each (10,000 parts), every one with an `#[init]`,
//!   all built with `prepare()` and started by the root's `start()`, until
//!   `Handle::ready(&root)` resolves. The peer spawns a task per part that
//!   runs the same init and sends on its oneshot; a task per group awaits
//!   its parts' oneshots and sends its own; the root awaits the groups'.
//!   `oneshot_token` adds what a hand-wired tree needs to be closed (a
//!   child `CancellationToken` per group and part, tasks in a
//!   `TaskTracker`).
//! - (r2) a plain process tree of fan-out 10 and depth 5 (111,111
//!   processes: 11,111 `with_parent` inner nodes, 100,000 leaves), each
//!   leaf a `signals_ready` `go` child that calls `set_ready()` and then
//!   waits for its close, until `root.ready()` resolves. The peer spawns
//!   100,000 tasks that send on their oneshot and wait on a child token;
//!   the root awaits every oneshot (flat: it builds no tree, which is its
//!   advantage).
//!
//! Timed: building, starting and waiting until ready; the close and the
//! drop are not timed.

mod common;

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use goprocess::{Handle, Process, Start, init, process};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The init of every part, the same for goprocess and the peers: one
/// yield, as an init that awaits something would.
async fn open() {
    tokio::task::yield_now().await;
}

#[process]
struct Part {}

impl Part {
    #[init]
    async fn open(&self) {
        open().await;
    }
}

#[process]
struct Group {
    #[child]
    parts: Vec<Handle<Part>>,
}

impl Group {
    #[init]
    async fn open(&self) {
        open().await;
    }
}

#[process]
struct Root {
    #[child]
    groups: Vec<Handle<Group>>,
}

impl Root {
    #[init]
    async fn open(&self) {
        open().await;
    }
}

fn struct_tree(groups: usize, parts: usize) -> Handle<Root> {
    Root {
        groups: (0..groups)
            .map(|_| {
                Group {
                    parts: (0..parts).map(|_| Part {}.prepare()).collect(),
                }
                .prepare()
            })
            .collect(),
    }
    .start()
}

/// The peer of [`struct_tree`]: a task and a oneshot per part and group;
/// with `tokens`, a child token per group and part, and a tracker.
async fn oneshot_tree(
    groups: usize,
    parts: usize,
    tokens: Option<(&CancellationToken, &TaskTracker)>,
) {
    open().await; // the root's init
    let mut ready = Vec::with_capacity(groups);
    for _ in 0..groups {
        let (tx, rx) = oneshot::channel::<()>();
        ready.push(rx);
        let group_token = tokens.map(|(t, _)| t.child_token());
        let mut part_ready = Vec::with_capacity(parts);
        for _ in 0..parts {
            let (tx, rx) = oneshot::channel::<()>();
            part_ready.push(rx);
            let token = group_token.as_ref().map(CancellationToken::child_token);
            let part = async move {
                open().await;
                let _ = tx.send(());
                if let Some(token) = token {
                    token.cancelled().await;
                }
            };
            match tokens {
                Some((_, tracker)) => drop(tracker.spawn(part)),
                None => drop(tokio::spawn(part)),
            }
        }
        let group = async move {
            open().await;
            for rx in part_ready {
                let _ = rx.await;
            }
            let _ = tx.send(());
            if let Some(token) = group_token {
                token.cancelled().await;
            }
        };
        match tokens {
            Some((_, tracker)) => drop(tracker.spawn(group)),
            None => drop(tokio::spawn(group)),
        }
    }
    for rx in ready {
        let _ = rx.await;
    }
}

fn r1_struct_tree(c: &mut Criterion) {
    let rt = common::current_thread();
    let mut g = c.benchmark_group("r1_struct_tree_ready");
    g.sample_size(10);
    let shapes: Vec<(usize, usize)> = if common::quick() {
        vec![(10, 10)]
    } else {
        vec![(10, 100), (100, 100)]
    };
    for (groups, parts) in shapes {
        let n = groups * parts;
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("goprocess", n), &n, |b, _| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let start = Instant::now();
                        let root = struct_tree(groups, parts);
                        Handle::ready(&root).await.unwrap();
                        total += start.elapsed();
                        Handle::close(&root).await.unwrap();
                    }
                    total
                })
            })
        });
        g.bench_with_input(BenchmarkId::new("oneshot", n), &n, |b, _| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let start = Instant::now();
                        oneshot_tree(groups, parts, None).await;
                        total += start.elapsed();
                    }
                    total
                })
            })
        });
        g.bench_with_input(BenchmarkId::new("oneshot_token", n), &n, |b, _| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let (token, tracker) = (CancellationToken::new(), TaskTracker::new());
                        let start = Instant::now();
                        oneshot_tree(groups, parts, Some((&token, &tracker))).await;
                        total += start.elapsed();
                        token.cancel();
                        tracker.close();
                        tracker.wait().await;
                    }
                    total
                })
            })
        });
    }
    g.finish();
}

/// A plain tree: `fan_out` children per node, `depth` levels of
/// `with_parent` nodes below the root, each node of the last level with
/// `fan_out` leaves that signal readiness.
fn plain_tree(fan_out: usize, depth: u32) -> Process {
    let root = Process::new();
    let inner = common::build(root.clone(), fan_out, depth - 1, Process::with_parent);
    let last = inner.len() - fan_out.pow(depth - 1);
    for parent in &inner[last..] {
        for _ in 0..fan_out {
            parent.child().signals_ready().go(|me| async move {
                me.set_ready();
                me.closing().await;
            });
        }
    }
    root
}

fn r2_plain_tree(c: &mut Criterion) {
    let rt = common::current_thread();
    let mut g = c.benchmark_group("r2_plain_tree_ready");
    g.sample_size(10);
    let depths: Vec<u32> = if common::quick() { vec![3] } else { vec![4, 5] };
    for depth in depths {
        let leaves = 10usize.pow(depth);
        g.throughput(Throughput::Elements(leaves as u64));
        g.bench_with_input(
            BenchmarkId::new("goprocess", leaves),
            &depth,
            |b, &depth| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            let start = Instant::now();
                            let root = plain_tree(10, depth);
                            root.ready().await.unwrap();
                            total += start.elapsed();
                            root.close().await.unwrap();
                        }
                        total
                    })
                })
            },
        );
        g.bench_with_input(BenchmarkId::new("oneshot", leaves), &depth, |b, _| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let (token, tracker) = (CancellationToken::new(), TaskTracker::new());
                        let start = Instant::now();
                        let mut ready = Vec::with_capacity(leaves);
                        for _ in 0..leaves {
                            let (tx, rx) = oneshot::channel::<()>();
                            ready.push(rx);
                            let token = token.child_token();
                            tracker.spawn(async move {
                                let _ = tx.send(());
                                token.cancelled().await;
                            });
                        }
                        for rx in ready {
                            let _ = rx.await;
                        }
                        total += start.elapsed();
                        token.cancel();
                        tracker.close();
                        tracker.wait().await;
                    }
                    total
                })
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = r1_struct_tree, r2_plain_tree
}
criterion_main!(benches);
