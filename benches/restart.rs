//! Restart latency: a child that ends at once, restarted again and again,
//! by a goprocess `Supervisor` and by the hand-written supervisor it is
//! measured against (`loop { spawn; await }`: a task that spawns the
//! child's task, awaits its `JoinHandle`, and spawns it again). The time
//! per iteration is one run of the child plus one restart, on a
//! current-thread runtime.
//!
//! - `goprocess`: `Restart::Permanent`, the child returns `Ok`;
//! - `goprocess_err`: `Restart::Transient`, the child returns `Err` (an
//!   error is built and dropped per run);
//! - `loop_spawn_await`: the hand-written floor, which restarts blindly
//!   (no limit, no process, no report).
//!
//! The supervisors get a limit that never trips (a window of one
//! nanosecond), so the limit's bookkeeping is measured but not hit.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use goprocess::Process;
use goprocess::supervise::{Restart, Strategy, Supervisor};
use tokio::sync::Notify;

/// Counts the runs of a child, and wakes the bench at the last one.
#[derive(Clone)]
struct Runs {
    count: Arc<AtomicU64>,
    last: u64,
    done: Arc<Notify>,
}

impl Runs {
    fn new(last: u64) -> Runs {
        Runs {
            count: Arc::new(AtomicU64::new(0)),
            last,
            done: Arc::new(Notify::new()),
        }
    }

    /// Counts a run; true once it is the last one.
    fn run(&self) -> bool {
        let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        if n == self.last {
            self.done.notify_one();
        }
        n >= self.last
    }
}

/// `iters` restarts of a child by a goprocess supervisor; `fail` makes
/// each run fail instead of returning `Ok`.
async fn goprocess(iters: u64, fail: bool) -> Duration {
    let app = Process::new();
    let sup =
        Supervisor::new(&app, Strategy::OneForOne).max_restarts(u32::MAX, Duration::from_nanos(1));
    let runs = Runs::new(iters + 1);
    let done = runs.done.clone();
    let restart = if fail {
        Restart::Transient
    } else {
        Restart::Permanent
    };
    let start = Instant::now();
    sup.child("child", restart, move |me| {
        let last = runs.run();
        async move {
            if last {
                me.closing().await;
                return Ok(());
            }
            if fail { Err("crashed") } else { Ok(()) }
        }
    })
    .unwrap();
    done.notified().await;
    let elapsed = start.elapsed();
    assert_eq!(sup.restarts(), iters);
    app.close().await.unwrap();
    elapsed
}

/// `iters` restarts by the hand-written supervisor.
async fn loop_spawn_await(iters: u64) -> Duration {
    let runs = Runs::new(iters + 1);
    let start = Instant::now();
    let supervisor = tokio::spawn(async move {
        loop {
            let r = runs.clone();
            let last = tokio::spawn(async move { r.run() }).await.unwrap();
            if last {
                return;
            }
        }
    });
    supervisor.await.unwrap();
    start.elapsed()
}

fn restart(c: &mut Criterion) {
    let rt = common::current_thread();
    let mut g = c.benchmark_group("restart");
    g.bench_function("goprocess", |b| {
        b.iter_custom(|iters| rt.block_on(goprocess(iters, false)))
    });
    g.bench_function("goprocess_err", |b| {
        b.iter_custom(|iters| rt.block_on(goprocess(iters, true)))
    });
    g.bench_function("loop_spawn_await", |b| {
        b.iter_custom(|iters| rt.block_on(loop_spawn_await(iters)))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = restart
}
criterion_main!(benches);
