//! Shared by every bench: the quick mode, the runtimes, and the hand-written
//! peers (the "raw tokio" floor: a cancellation signal and a token tree
//! written by hand on `tokio::sync::Notify`).
//!
//! Each bench uses a subset of this module.
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::Criterion;
use tokio::runtime::Runtime;
use tokio::sync::Notify;
use tokio_graceful_shutdown::{SubsystemHandle, Toplevel};

/// `GOPROCESS_BENCH_QUICK=1`: tiny sizes and measurement times, so CI can
/// smoke-run the whole suite in seconds (`cargo test --benches` also runs
/// every bench once, but at full size).
pub fn quick() -> bool {
    std::env::var_os("GOPROCESS_BENCH_QUICK").is_some_and(|v| !v.is_empty() && v != "0")
}

/// `full` normally, `small` in quick mode.
pub fn sizes(full: &[usize], small: &[usize]) -> Vec<usize> {
    if quick() {
        small.to_vec()
    } else {
        full.to_vec()
    }
}

pub fn config() -> Criterion {
    let c = Criterion::default().without_plots();
    if quick() {
        c.warm_up_time(Duration::from_millis(20))
            .measurement_time(Duration::from_millis(60))
            .sample_size(10)
    } else {
        c.warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .sample_size(20)
    }
}

pub fn current_thread() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

pub fn multi_thread() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Builds a tree breadth first, `depth` levels below `root`, `fan_out`
/// children per node: `make(parent)` makes one child. A fan-out of 1 makes
/// a chain.
pub fn build<T>(root: T, fan_out: usize, depth: u32, make: impl Fn(&T) -> T) -> Vec<T> {
    let mut nodes = vec![root];
    let mut level = 0..1;
    for _ in 0..depth {
        let next = nodes.len();
        for i in level.clone() {
            for _ in 0..fan_out {
                let child = make(&nodes[i]);
                nodes.push(child);
            }
        }
        level = next..nodes.len();
    }
    nodes
}

/// A new parent with `n` idle `go` children, each parked on `closing()`;
/// returns once every child has reached it.
pub async fn idle_go_children(n: usize) -> goprocess::Process {
    let started = Started::default();
    let parent = goprocess::Process::new();
    for _ in 0..n {
        let started = started.clone();
        parent.go(move |me| async move {
            started.mark();
            me.closing().await;
        });
    }
    started.wait(n).await;
    parent
}

/// `n` idle tasks of a `TaskTracker`, each parked on a child token of the
/// returned token; returns once every task has reached it.
pub async fn idle_token_tasks(
    n: usize,
) -> (
    tokio_util::sync::CancellationToken,
    tokio_util::task::TaskTracker,
) {
    let started = Started::default();
    let token = tokio_util::sync::CancellationToken::new();
    let tracker = tokio_util::task::TaskTracker::new();
    for _ in 0..n {
        let (started, t) = (started.clone(), token.child_token());
        tracker.spawn(async move {
            started.mark();
            t.cancelled().await;
        });
    }
    started.wait(n).await;
    (token, tracker)
}

/// Counts tasks that reached their first await, so a bench can measure
/// the close of *idle* tasks only.
#[derive(Clone, Default)]
pub struct Started(Arc<AtomicUsize>);

impl Started {
    pub fn mark(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// Yields until `n` tasks have marked themselves started, then resets.
    pub async fn wait(&self, n: usize) {
        while self.0.load(Ordering::Relaxed) < n {
            tokio::task::yield_now().await;
        }
        self.0.store(0, Ordering::Relaxed);
    }
}

/// The hand-written cancellation signal of the raw tokio peer: a flag and
/// a `Notify`.
#[derive(Clone, Default)]
pub struct Signal(Arc<SignalInner>);

#[derive(Default)]
pub struct SignalInner {
    fired: AtomicBool,
    notify: Notify,
}

impl Signal {
    pub fn fire(&self) {
        self.0.fired.store(true, Ordering::Release);
        self.0.notify.notify_waiters();
    }

    pub fn is_fired(&self) -> bool {
        self.0.fired.load(Ordering::Acquire)
    }

    pub async fn fired(&self) {
        loop {
            let notified = self.0.notify.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            if self.is_fired() {
                return;
            }
            notified.await;
        }
    }
}

/// A hand-written cancellation tree (the raw floor for task-less trees):
/// each node owns its children and is cancelled with them, iteratively.
#[derive(Default)]
pub struct Node {
    signal: Signal,
    children: Mutex<Vec<Arc<Node>>>,
}

impl Node {
    pub fn child(self: &Arc<Node>) -> Arc<Node> {
        let c = Arc::new(Node::default());
        self.children.lock().unwrap().push(Arc::clone(&c));
        c
    }

    pub fn cancel(self: &Arc<Node>) {
        let mut stack = vec![Arc::clone(self)];
        while let Some(n) = stack.pop() {
            n.signal.fire();
            stack.append(&mut n.children.lock().unwrap());
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.signal.is_fired()
    }
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A measurement body run inside a tokio-graceful-shutdown subsystem:
/// given the handle, the iteration count and the size, returns the time
/// it measured.
pub type TgsBody = for<'a> fn(&'a SubsystemHandle, u64, usize) -> BoxFuture<'a, Duration>;

/// Runs `body` inside a fresh `Toplevel` on `rt`, then shuts it down.
pub fn tgs_run(rt: &Runtime, iters: u64, n: usize, body: TgsBody) -> Duration {
    let (tx, rx) = std::sync::mpsc::channel();
    rt.block_on(async move {
        Toplevel::new(async move |s: &mut SubsystemHandle| {
            let elapsed = body(s, iters, n).await;
            tx.send(elapsed).unwrap();
            s.request_shutdown();
        })
        .handle_shutdown_requests(Duration::from_secs(600))
        .await
        .unwrap();
    });
    rx.recv().unwrap()
}

/// Times `iters` runs of `run`, each after an untimed `setup`.
pub async fn timed<S, T, SF, RF>(iters: u64, mut setup: S, mut run: T) -> Duration
where
    S: FnMut() -> SF,
    SF: Future,
    T: FnMut(SF::Output) -> RF,
    RF: Future,
{
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let state = setup().await;
        let start = Instant::now();
        let leftover = run(state).await;
        total += start.elapsed();
        drop(leftover);
    }
    total
}
