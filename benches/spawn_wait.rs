//! Scenario (a): spawn one child and wait for it, from a long-lived parent,
//! on a current-thread runtime.

mod common;

use std::convert::Infallible;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use goprocess::Process;
use tokio::task::JoinSet;
use tokio_graceful_shutdown::{SubsystemBuilder, SubsystemHandle};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

fn spawn_wait(c: &mut Criterion) {
    let rt = common::current_thread();
    let mut g = c.benchmark_group("a_spawn_wait");
    g.bench_function("goprocess", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let parent = Process::new();
                let start = Instant::now();
                for _ in 0..iters {
                    parent.go(|_| async {}).closed().await;
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
                let signal = common::Signal::default();
                let start = Instant::now();
                for _ in 0..iters {
                    let s = signal.clone();
                    tokio::spawn(async move { drop(s) }).await.unwrap();
                }
                start.elapsed()
            })
        })
    });
    g.bench_function("tokio_util", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let token = CancellationToken::new();
                let tracker = TaskTracker::new();
                let start = Instant::now();
                for _ in 0..iters {
                    let t = token.child_token();
                    tracker.spawn(async move { drop(t) }).await.unwrap();
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
                let mut set = JoinSet::new();
                let start = Instant::now();
                for _ in 0..iters {
                    let t = token.child_token();
                    set.spawn(async move { drop(t) });
                    set.join_next().await.unwrap().unwrap();
                }
                start.elapsed()
            })
        })
    });
    g.bench_function("tgs", |b| {
        b.iter_custom(|iters| {
            common::tgs_run(&rt, iters, 0, |s: &SubsystemHandle, iters, _| {
                Box::pin(async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        s.start(SubsystemBuilder::new(
                            "child",
                            async |_: &mut SubsystemHandle| Ok::<(), Infallible>(()),
                        ))
                        .join()
                        .await
                        .unwrap();
                    }
                    start.elapsed()
                })
            })
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = spawn_wait
}
criterion_main!(benches);
