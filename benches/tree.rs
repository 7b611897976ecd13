//! Task-less structures, built, closed and freed (all three timed):
//! scenario (d), a tree of fan-out 10 and depth 3/4/5
//! (1,111 / 11,111 / 111,111 nodes); scenario (e), a chain 1k/10k/100k
//! deep. goprocess processes vs `CancellationToken::child_token`s vs a
//! hand-written tree of `Notify` signals (the raw floor).

mod common;

use std::sync::Arc;
use std::time::Instant;

use common::{Node, build};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use goprocess::Process;
use tokio_util::sync::CancellationToken;

fn nodes(fan_out: usize, depth: u32) -> usize {
    (0..=depth).map(|d| fan_out.pow(d)).sum()
}

fn shapes(c: &mut Criterion) {
    let rt = common::current_thread();
    let mut g = c.benchmark_group("d_tree");
    g.sample_size(10);
    let depths: Vec<u32> = if common::quick() {
        vec![3]
    } else {
        vec![3, 4, 5]
    };
    for depth in depths {
        let n = nodes(10, depth);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("goprocess", n), &depth, |b, &depth| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let all = build(Process::new(), 10, depth, Process::with_parent);
                        all[0].close().await.unwrap();
                        debug_assert!(all[n - 1].is_closed());
                        drop(all);
                    }
                    start.elapsed()
                })
            })
        });
        g.bench_with_input(BenchmarkId::new("tokio_util", n), &depth, |b, &depth| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    let all = build(CancellationToken::new(), 10, depth, |t| t.child_token());
                    all[0].cancel();
                    debug_assert!(all[n - 1].is_cancelled());
                    drop(all);
                }
                start.elapsed()
            })
        });
        g.bench_with_input(BenchmarkId::new("tokio", n), &depth, |b, &depth| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    let all = build(Arc::new(Node::default()), 10, depth, Node::child);
                    all[0].cancel();
                    debug_assert!(all[n - 1].is_cancelled());
                    drop(all);
                }
                start.elapsed()
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("e_chain");
    g.sample_size(10);
    for n in common::sizes(&[1_000, 10_000, 100_000], &[1_000]) {
        let depth = n as u32 - 1;
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("goprocess", n), &depth, |b, &depth| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let all = build(Process::new(), 1, depth, Process::with_parent);
                        all[0].close().await.unwrap();
                        debug_assert!(all[n - 1].is_closed());
                        drop(all);
                    }
                    start.elapsed()
                })
            })
        });
        g.bench_with_input(BenchmarkId::new("tokio_util", n), &depth, |b, &depth| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    let all = build(CancellationToken::new(), 1, depth, |t| t.child_token());
                    all[0].cancel();
                    debug_assert!(all[n - 1].is_cancelled());
                    drop(all);
                }
                start.elapsed()
            })
        });
        g.bench_with_input(BenchmarkId::new("tokio", n), &depth, |b, &depth| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    let all = build(Arc::new(Node::default()), 1, depth, Node::child);
                    all[0].cancel();
                    debug_assert!(all[n - 1].is_cancelled());
                    drop(all);
                }
                start.elapsed()
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = shapes
}
criterion_main!(benches);
