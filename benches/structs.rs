//! Scenario (f): a `#[process]` struct with three children, one of which
//! closes only after a sibling (`#[wait_for(a)]`), started and closed;
//! against the same shape hand-wired with signals, tokens and tasks, and
//! with tokio-graceful-shutdown. Each child is a task parked on its close
//! signal.
//!
//! Scenario (f2): a `#[process]` struct with a `#[run]` loop and one
//! `#[child]`, started and closed, against the same struct written by hand:
//! `go` running the loop on an `Arc` of the struct, the child added to it,
//! and the same names (`hand`); and without the names (`hand_unnamed`),
//! which is what naming costs.

mod common;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use common::Signal;
use criterion::{Criterion, criterion_group, criterion_main};
use goprocess::{Handle, Process, Start, process, run};
use tokio::task::JoinSet;
use tokio_graceful_shutdown::{SubsystemBuilder, SubsystemHandle};
use tokio_util::sync::CancellationToken;

#[process]
struct App {
    #[child]
    a: Process,
    #[child]
    b: Process,
    #[child]
    #[wait_for(a)]
    c: Process,
}

fn idle() -> Process {
    goprocess::go(|me| async move { me.closing().await })
}

#[process]
struct Server {
    #[child]
    conn: Process,
}

impl Server {
    #[run]
    async fn serve(&self, me: Process) {
        me.closing().await;
    }
}

/// `Server` without the macros.
struct HandServer {
    conn: Process,
}

impl HandServer {
    async fn serve(&self, me: Process) {
        me.closing().await;
    }

    fn start(self, named: bool) -> (Process, Arc<HandServer>) {
        let server = Arc::new(self);
        let process = goprocess::go({
            let server = Arc::clone(&server);
            move |me| async move { server.serve(me).await }
        });
        if named {
            let _ = process.clone().named("Server");
            let _ = server.conn.clone().named("conn");
        }
        process.add_child(&server.conn).unwrap();
        (process, server)
    }
}

fn structs_run(c: &mut Criterion) {
    let rt = common::current_thread();
    let mut g = c.benchmark_group("f2_struct_run");
    g.bench_function("goprocess", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let server = Server { conn: idle() }.start();
                    Handle::close(&server).await.unwrap();
                }
                start.elapsed()
            })
        })
    });
    for (name, named) in [("hand", true), ("hand_unnamed", false)] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let (process, _server) = HandServer { conn: idle() }.start(named);
                        process.close().await.unwrap();
                    }
                    start.elapsed()
                })
            })
        });
    }
    g.finish();
}

fn structs(c: &mut Criterion) {
    let rt = common::current_thread();
    let mut g = c.benchmark_group("f_struct");
    g.bench_function("goprocess", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let app = App {
                        a: idle(),
                        b: idle(),
                        c: idle(),
                    }
                    .start();
                    app.process().close().await.unwrap();
                }
                start.elapsed()
            })
        })
    });
    g.bench_function("tokio", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let (root, late) = (Signal::default(), Signal::default());
                    let spawn = |s: &Signal| {
                        let s = s.clone();
                        tokio::spawn(async move { s.fired().await })
                    };
                    let (a, b, c) = (spawn(&root), spawn(&root), spawn(&late));
                    root.fire();
                    a.await.unwrap();
                    late.fire();
                    b.await.unwrap();
                    c.await.unwrap();
                }
                start.elapsed()
            })
        })
    });
    g.bench_function("tokio_util", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let root = CancellationToken::new();
                    let late = CancellationToken::new();
                    let spawn =
                        |t: CancellationToken| tokio::spawn(async move { t.cancelled().await });
                    let a = spawn(root.child_token());
                    let b = spawn(root.child_token());
                    let c = spawn(late.clone());
                    root.cancel();
                    a.await.unwrap();
                    late.cancel();
                    b.await.unwrap();
                    c.await.unwrap();
                }
                start.elapsed()
            })
        })
    });
    g.bench_function("joinset", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let root = CancellationToken::new();
                    let late = CancellationToken::new();
                    let mut first = JoinSet::new();
                    let t = root.child_token();
                    first.spawn(async move { t.cancelled().await });
                    let mut rest = JoinSet::new();
                    let t = root.child_token();
                    rest.spawn(async move { t.cancelled().await });
                    let t = late.clone();
                    rest.spawn(async move { t.cancelled().await });
                    root.cancel();
                    first.join_all().await;
                    late.cancel();
                    rest.join_all().await;
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
                        let app = s.start(SubsystemBuilder::new(
                            "app",
                            async |s: &mut SubsystemHandle| {
                                let idle = async |s: &mut SubsystemHandle| {
                                    s.on_shutdown_requested().await;
                                    Ok::<(), Infallible>(())
                                };
                                let a = Arc::new(s.start(SubsystemBuilder::new("a", idle)));
                                s.start(SubsystemBuilder::new("b", idle));
                                s.start(SubsystemBuilder::new(
                                    "c",
                                    async move |s: &mut SubsystemHandle| {
                                        s.on_shutdown_requested().await;
                                        a.join().await.unwrap();
                                        Ok::<(), Infallible>(())
                                    },
                                ));
                                s.on_shutdown_requested().await;
                                Ok::<(), Infallible>(())
                            },
                        ));
                        app.initiate_shutdown();
                        app.join().await.unwrap();
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
    targets = structs, structs_run
}
criterion_main!(benches);
