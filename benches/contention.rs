//! Scenario (g), on a 2-worker multi-thread runtime: 64 tasks closing the
//! same process (with one idle child task) at once, each until it is
//! closed; and `go` from 2 tasks into one parent (1,000 short-lived
//! children each, all awaited).

mod common;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use common::{Signal, Started};
use criterion::{Criterion, criterion_group, criterion_main};
use goprocess::Process;
use tokio::task::JoinSet;
use tokio_graceful_shutdown::{SubsystemBuilder, SubsystemHandle};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

const CLOSERS: usize = 64;

fn per_thread() -> usize {
    if common::quick() { 100 } else { 1_000 }
}

async fn all(handles: Vec<tokio::task::JoinHandle<()>>) {
    for h in handles {
        h.await.unwrap();
    }
}

fn close64(c: &mut Criterion) {
    let rt = common::multi_thread();
    let mut g = c.benchmark_group("g_close64");
    g.bench_function("goprocess", |b| {
        b.iter_custom(|iters| {
            rt.block_on(common::timed(
                iters,
                || async {
                    let started = Started::default();
                    let p = Process::new();
                    let s = started.clone();
                    p.go(move |me| async move {
                        s.mark();
                        me.closing().await
                    });
                    started.wait(1).await;
                    p
                },
                |p| async move {
                    let closers = (0..CLOSERS)
                        .map(|_| {
                            let p = p.clone();
                            tokio::spawn(async move { p.close().await.unwrap() })
                        })
                        .collect();
                    all(closers).await;
                },
            ))
        })
    });
    g.bench_function("tokio", |b| {
        b.iter_custom(|iters| {
            rt.block_on(common::timed(
                iters,
                || async {
                    let started = Started::default();
                    let (stop, done) = (Signal::default(), Signal::default());
                    let (s, st, d) = (started.clone(), stop.clone(), done.clone());
                    tokio::spawn(async move {
                        s.mark();
                        st.fired().await;
                        d.fire();
                    });
                    started.wait(1).await;
                    (stop, done)
                },
                |(stop, done)| async move {
                    let closers = (0..CLOSERS)
                        .map(|_| {
                            let (stop, done) = (stop.clone(), done.clone());
                            tokio::spawn(async move {
                                stop.fire();
                                done.fired().await
                            })
                        })
                        .collect();
                    all(closers).await;
                },
            ))
        })
    });
    g.bench_function("tokio_util", |b| {
        b.iter_custom(|iters| {
            rt.block_on(common::timed(
                iters,
                || async {
                    let started = Started::default();
                    let (token, tracker) = (CancellationToken::new(), TaskTracker::new());
                    let (s, t) = (started.clone(), token.child_token());
                    tracker.spawn(async move {
                        s.mark();
                        t.cancelled().await
                    });
                    started.wait(1).await;
                    (token, tracker)
                },
                |(token, tracker)| async move {
                    let closers = (0..CLOSERS)
                        .map(|_| {
                            let (token, tracker) = (token.clone(), tracker.clone());
                            tokio::spawn(async move {
                                token.cancel();
                                tracker.close();
                                tracker.wait().await
                            })
                        })
                        .collect();
                    all(closers).await;
                },
            ))
        })
    });
    g.bench_function("tgs", |b| {
        b.iter_custom(|iters| {
            common::tgs_run(&rt, iters, 0, |s: &SubsystemHandle, iters, _| {
                Box::pin(common::timed(
                    iters,
                    move || async move {
                        let started = Started::default();
                        let st = started.clone();
                        let p = s.start(SubsystemBuilder::new(
                            "p",
                            async move |s: &mut SubsystemHandle| {
                                s.start(SubsystemBuilder::new(
                                    "child",
                                    async move |s: &mut SubsystemHandle| {
                                        st.mark();
                                        s.on_shutdown_requested().await;
                                        Ok::<(), Infallible>(())
                                    },
                                ));
                                s.on_shutdown_requested().await;
                                Ok::<(), Infallible>(())
                            },
                        ));
                        started.wait(1).await;
                        Arc::new(p)
                    },
                    |p| async move {
                        let closers = (0..CLOSERS)
                            .map(|_| {
                                let p = Arc::clone(&p);
                                tokio::spawn(async move {
                                    p.initiate_shutdown();
                                    p.join().await.unwrap()
                                })
                            })
                            .collect();
                        all(closers).await;
                    },
                ))
            })
        })
    });
    g.finish();
}

fn go2(c: &mut Criterion) {
    let rt = common::multi_thread();
    let k = per_thread();
    let mut g = c.benchmark_group("g_go_2_threads");
    g.throughput(criterion::Throughput::Elements(2 * k as u64));
    g.bench_function("goprocess", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let parent = Process::new();
                let start = Instant::now();
                for _ in 0..iters {
                    let spawners = (0..2)
                        .map(|_| {
                            let parent = parent.clone();
                            tokio::spawn(async move {
                                let kids: Vec<Process> =
                                    (0..k).map(|_| parent.go(|_| async {})).collect();
                                for kid in kids {
                                    kid.closed().await;
                                }
                            })
                        })
                        .collect();
                    all(spawners).await;
                }
                let elapsed = start.elapsed();
                parent.close().await.unwrap();
                elapsed
            })
        })
    });
    g.bench_function("tokio", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let signal = Signal::default();
                let start = Instant::now();
                for _ in 0..iters {
                    let spawners = (0..2)
                        .map(|_| {
                            let signal = signal.clone();
                            tokio::spawn(async move {
                                let kids: Vec<_> = (0..k)
                                    .map(|_| {
                                        let s = signal.clone();
                                        tokio::spawn(async move { drop(s) })
                                    })
                                    .collect();
                                all(kids).await;
                            })
                        })
                        .collect();
                    all(spawners).await;
                }
                start.elapsed()
            })
        })
    });
    g.bench_function("tokio_util", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let (token, tracker) = (CancellationToken::new(), TaskTracker::new());
                let start = Instant::now();
                for _ in 0..iters {
                    let spawners = (0..2)
                        .map(|_| {
                            let (token, tracker) = (token.clone(), tracker.clone());
                            tokio::spawn(async move {
                                let kids: Vec<_> = (0..k)
                                    .map(|_| {
                                        let t = token.child_token();
                                        tracker.spawn(async move { drop(t) })
                                    })
                                    .collect();
                                all(kids).await;
                            })
                        })
                        .collect();
                    all(spawners).await;
                }
                let elapsed = start.elapsed();
                tracker.close();
                tracker.wait().await;
                elapsed
            })
        })
    });
    g.bench_function("joinset", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let token = CancellationToken::new();
                let set = Arc::new(Mutex::new(JoinSet::new()));
                let start = Instant::now();
                for _ in 0..iters {
                    let spawners = (0..2)
                        .map(|_| {
                            let (token, set) = (token.clone(), Arc::clone(&set));
                            tokio::spawn(async move {
                                for _ in 0..k {
                                    let t = token.child_token();
                                    set.lock().unwrap().spawn(async move { drop(t) });
                                }
                            })
                        })
                        .collect();
                    all(spawners).await;
                    let mut set = std::mem::take(&mut *set.lock().unwrap());
                    while let Some(r) = set.join_next().await {
                        r.unwrap();
                    }
                }
                start.elapsed()
            })
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = close64, go2
}
criterion_main!(benches);
