//! Scenario (c): a long-lived parent spawning short-lived children in
//! batches; one iteration spawns a batch and waits for all of it. The RSS
//! after a million children is measured by the `memory` bench.

mod common;

use std::convert::Infallible;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use goprocess::Process;
use tokio::task::JoinSet;
use tokio_graceful_shutdown::{SubsystemBuilder, SubsystemHandle};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

fn batches(c: &mut Criterion) {
    let rt = common::current_thread();
    let mut g = c.benchmark_group("c_batches");
    for n in common::sizes(&[100, 1_000], &[100]) {
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("goprocess", n), &n, |b, &n| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let parent = Process::new();
                    let mut batch = Vec::with_capacity(n);
                    let start = Instant::now();
                    for _ in 0..iters {
                        batch.extend((0..n).map(|_| parent.go(|_| async {})));
                        for p in batch.drain(..) {
                            p.closed().await;
                        }
                    }
                    let elapsed = start.elapsed();
                    parent.close().await.unwrap();
                    elapsed
                })
            })
        });
        g.bench_with_input(BenchmarkId::new("tokio", n), &n, |b, &n| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let signal = common::Signal::default();
                    let mut batch = Vec::with_capacity(n);
                    let start = Instant::now();
                    for _ in 0..iters {
                        batch.extend((0..n).map(|_| {
                            let s = signal.clone();
                            tokio::spawn(async move { drop(s) })
                        }));
                        for h in batch.drain(..) {
                            h.await.unwrap();
                        }
                    }
                    start.elapsed()
                })
            })
        });
        g.bench_with_input(BenchmarkId::new("tokio_util", n), &n, |b, &n| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let token = CancellationToken::new();
                    let tracker = TaskTracker::new();
                    let mut batch = Vec::with_capacity(n);
                    let start = Instant::now();
                    for _ in 0..iters {
                        batch.extend((0..n).map(|_| {
                            let t = token.child_token();
                            tracker.spawn(async move { drop(t) })
                        }));
                        for h in batch.drain(..) {
                            h.await.unwrap();
                        }
                    }
                    let elapsed = start.elapsed();
                    tracker.close();
                    tracker.wait().await;
                    elapsed
                })
            })
        });
        g.bench_with_input(BenchmarkId::new("joinset", n), &n, |b, &n| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let token = CancellationToken::new();
                    let mut set = JoinSet::new();
                    let start = Instant::now();
                    for _ in 0..iters {
                        for _ in 0..n {
                            let t = token.child_token();
                            set.spawn(async move { drop(t) });
                        }
                        while let Some(r) = set.join_next().await {
                            r.unwrap();
                        }
                    }
                    start.elapsed()
                })
            })
        });
        g.bench_with_input(BenchmarkId::new("tgs", n), &n, |b, &n| {
            b.iter_custom(|iters| {
                common::tgs_run(&rt, iters, n, |s: &SubsystemHandle, iters, n| {
                    Box::pin(async move {
                        let mut batch = Vec::with_capacity(n);
                        let start = Instant::now();
                        for _ in 0..iters {
                            batch.extend((0..n).map(|_| {
                                s.start(SubsystemBuilder::new(
                                    "child",
                                    async |_: &mut SubsystemHandle| Ok::<(), Infallible>(()),
                                ))
                            }));
                            for child in batch.drain(..) {
                                child.join().await.unwrap();
                            }
                        }
                        start.elapsed()
                    })
                })
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = batches
}
criterion_main!(benches);
