//! Scenario (b): close a parent with N idle children (tasks parked on
//! their close signal). Only the close is timed: from the request until
//! every child task has returned.

mod common;

use std::convert::Infallible;

use common::{Signal, Started};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tokio::task::JoinSet;
use tokio_graceful_shutdown::{SubsystemBuilder, SubsystemHandle};
use tokio_util::sync::CancellationToken;

fn close_idle(c: &mut Criterion) {
    let rt = common::current_thread();
    let mut g = c.benchmark_group("b_close_idle");
    g.sample_size(10);
    for n in common::sizes(&[1_000, 10_000, 100_000], &[1_000]) {
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("goprocess", n), &n, |b, &n| {
            b.iter_custom(|iters| {
                rt.block_on(common::timed(
                    iters,
                    || common::idle_go_children(n),
                    |parent| async move {
                        parent.close().await.unwrap();
                        parent
                    },
                ))
            })
        });
        g.bench_with_input(BenchmarkId::new("tokio", n), &n, |b, &n| {
            b.iter_custom(|iters| {
                rt.block_on(common::timed(
                    iters,
                    || async {
                        let started = Started::default();
                        let signal = Signal::default();
                        let handles: Vec<_> = (0..n)
                            .map(|_| {
                                let (started, signal) = (started.clone(), signal.clone());
                                tokio::spawn(async move {
                                    started.mark();
                                    signal.fired().await;
                                })
                            })
                            .collect();
                        started.wait(n).await;
                        (signal, handles)
                    },
                    |(signal, handles)| async move {
                        signal.fire();
                        for h in handles {
                            h.await.unwrap();
                        }
                    },
                ))
            })
        });
        g.bench_with_input(BenchmarkId::new("tokio_util", n), &n, |b, &n| {
            b.iter_custom(|iters| {
                rt.block_on(common::timed(
                    iters,
                    || common::idle_token_tasks(n),
                    |(token, tracker)| async move {
                        token.cancel();
                        tracker.close();
                        tracker.wait().await;
                    },
                ))
            })
        });
        g.bench_with_input(BenchmarkId::new("joinset", n), &n, |b, &n| {
            b.iter_custom(|iters| {
                rt.block_on(common::timed(
                    iters,
                    || async {
                        let started = Started::default();
                        let token = CancellationToken::new();
                        let mut set = JoinSet::new();
                        for _ in 0..n {
                            let (started, t) = (started.clone(), token.child_token());
                            set.spawn(async move {
                                started.mark();
                                t.cancelled().await;
                            });
                        }
                        started.wait(n).await;
                        (token, set)
                    },
                    |(token, mut set)| async move {
                        token.cancel();
                        while let Some(r) = set.join_next().await {
                            r.unwrap();
                        }
                    },
                ))
            })
        });
        g.bench_with_input(BenchmarkId::new("tgs", n), &n, |b, &n| {
            b.iter_custom(|iters| {
                common::tgs_run(&rt, iters, n, |s: &SubsystemHandle, iters, n| {
                    Box::pin(common::timed(
                        iters,
                        move || async move {
                            let started = Started::default();
                            let st = started.clone();
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
                            parent
                        },
                        |parent| async move {
                            parent.initiate_shutdown();
                            parent.join().await.unwrap();
                        },
                    ))
                })
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = close_idle
}
criterion_main!(benches);
