//! Repeatable instruction counts for the hot paths, for profiling under
//! callgrind (wall-clock numbers on a shared machine are noisy):
//!
//! ```text
//! cargo bench -p goprocess-benches --bench instructions --no-run
//! valgrind --tool=callgrind target/release/deps/instructions-<hash> <scenario> <n>
//! valgrind --tool=callgrind target/release/deps/instructions-<hash> <scenario> <n> setup
//! ```
//!
//! The second run does only the set-up; the difference, divided by `n`, is
//! the cost per operation (`scripts/callgrind.sh` does this). Scenarios:
//! `go_wait` (n × `go(noop)` + `closed()`), `tokio_spawn_wait`,
//! `tokio_util_spawn_wait` (a child token moved into a tracked task),
//! `go_batch` (batches of 1,000 `go` children, then their `closed()`; n
//! rounded down to whole batches, at least one), `tokio_util_batch`,
//! `close_idle` (close a parent with n idle `go` children),
//! `tokio_util_close_idle`, `tree` (build and close a task-less tree of
//! fan-out 10 holding n nodes, rounded down to a full level),
//! `token_tree`, `chain` (build and close a chain n deep), `restart` (a
//! supervisor restarts a child that returns at once, n times),
//! `loop_spawn_restart` (the same by hand: `loop { spawn; await }`). Without
//! arguments (as under `cargo bench` or `cargo test --benches`) it runs
//! each scenario once with a small n, as a smoke test.

mod common;

use common::{Signal, build};
use goprocess::Process;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

static SKIP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Runs the measured part, unless this run only measures the set-up.
fn measured<R: Default>(f: impl FnOnce() -> R) -> R {
    if SKIP.load(std::sync::atomic::Ordering::Relaxed) {
        R::default()
    } else {
        f()
    }
}

/// The batch size of `go_batch` and `tokio_util_batch` (as in
/// `benches/batches.rs`).
const BATCH: usize = 1_000;

/// A parent that has already run one `go` child on `rt` (the first spawn
/// warms the runtime up, and is not counted).
fn warm_parent(rt: &tokio::runtime::Runtime) -> Process {
    let parent = Process::new();
    rt.block_on(async { parent.go(|_| async {}).closed().await });
    parent
}

/// tokio-util's peer of [`warm_parent`]: a token and a tracker that has
/// already run one task on `rt`.
fn warm_tracker(rt: &tokio::runtime::Runtime) -> (CancellationToken, TaskTracker) {
    let tracker = TaskTracker::new();
    rt.block_on(async { tracker.spawn(async {}).await })
        .unwrap();
    (CancellationToken::new(), tracker)
}

/// tokio-util's peer of a `go` child: a tracked task holding a child token.
fn tracked_child(token: &CancellationToken, tracker: &TaskTracker) -> tokio::task::JoinHandle<()> {
    let t = token.child_token();
    tracker.spawn(async move { drop(t) })
}

/// Whole batches in `n` children (at least one, for the smoke run).
fn batches(n: usize) -> usize {
    (n / BATCH).max(1)
}

fn tree_depth(n: usize) -> u32 {
    let mut depth = 0;
    let mut total = 1;
    let mut level = 1;
    while total + level * 10 <= n {
        level *= 10;
        total += level;
        depth += 1;
    }
    depth
}

fn run(scenario: &str, n: usize) {
    let rt = common::current_thread();
    match scenario {
        "go_wait" => {
            let parent = warm_parent(&rt);
            measured(|| {
                rt.block_on(async {
                    for _ in 0..n {
                        parent.go(|_| async {}).closed().await;
                    }
                })
            });
            rt.block_on(parent.close()).unwrap();
        }
        "tokio_spawn_wait" => {
            let signal = Signal::default();
            rt.block_on(async { tokio::spawn(async {}).await }).unwrap();
            measured(|| {
                rt.block_on(async {
                    for _ in 0..n {
                        let s = signal.clone();
                        tokio::spawn(async move { drop(s) }).await.unwrap();
                    }
                })
            });
        }
        "tokio_util_spawn_wait" => {
            let (token, tracker) = warm_tracker(&rt);
            measured(|| {
                rt.block_on(async {
                    for _ in 0..n {
                        tracked_child(&token, &tracker).await.unwrap();
                    }
                })
            });
        }
        "go_batch" => {
            let parent = warm_parent(&rt);
            measured(|| {
                rt.block_on(async {
                    let mut batch = Vec::with_capacity(BATCH);
                    for _ in 0..batches(n) {
                        batch.extend((0..BATCH).map(|_| parent.go(|_| async {})));
                        for p in batch.drain(..) {
                            p.closed().await;
                        }
                    }
                })
            });
            rt.block_on(parent.close()).unwrap();
        }
        "tokio_util_batch" => {
            let (token, tracker) = warm_tracker(&rt);
            measured(|| {
                rt.block_on(async {
                    let mut batch = Vec::with_capacity(BATCH);
                    for _ in 0..batches(n) {
                        batch.extend((0..BATCH).map(|_| tracked_child(&token, &tracker)));
                        for h in batch.drain(..) {
                            h.await.unwrap();
                        }
                    }
                })
            });
        }
        "close_idle" => {
            let parent = rt.block_on(common::idle_go_children(n));
            measured(|| rt.block_on(parent.close()).unwrap());
        }
        "tokio_util_close_idle" => {
            let (token, tracker) = rt.block_on(common::idle_token_tasks(n));
            measured(|| {
                rt.block_on(async {
                    token.cancel();
                    tracker.close();
                    tracker.wait().await
                })
            });
        }
        "tree" => {
            let depth = tree_depth(n);
            measured(|| {
                let all = build(Process::new(), 10, depth, Process::with_parent);
                rt.block_on(all[0].close()).unwrap();
                drop(all);
            });
        }
        "token_tree" => {
            let depth = tree_depth(n);
            measured(|| {
                let all = build(CancellationToken::new(), 10, depth, |t| t.child_token());
                all[0].cancel();
                drop(all);
            });
        }
        "chain" => {
            measured(|| {
                let all = build(Process::new(), 1, n as u32 - 1, Process::with_parent);
                rt.block_on(all[0].close()).unwrap();
                drop(all);
            });
        }
        "restart" => {
            use goprocess::supervise::{Restart, Strategy, Supervisor};
            let _in = rt.enter();
            let sup = Supervisor::new(&Process::new(), Strategy::OneForOne)
                .max_restarts(u32::MAX, std::time::Duration::from_nanos(1));
            let last = measured(|| n) + 1;
            let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let done = std::sync::Arc::new(tokio::sync::Notify::new());
            let (r, d) = (runs.clone(), done.clone());
            sup.child("child", Restart::Permanent, move |me| {
                let run = r.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if run == last {
                    d.notify_one();
                }
                async move {
                    if run >= last {
                        me.closing().await;
                    }
                }
            })
            .unwrap();
            rt.block_on(done.notified());
        }
        "loop_spawn_restart" => {
            let last = measured(|| n) + 1;
            rt.block_on(async {
                tokio::spawn(async move {
                    let mut runs = 0;
                    loop {
                        runs = tokio::spawn(async move { runs + 1 }).await.unwrap();
                        if runs >= last {
                            return;
                        }
                    }
                })
                .await
                .unwrap()
            });
        }
        other => panic!(
            "unknown scenario `{other}`; expected one of: go_wait, tokio_spawn_wait, \
             tokio_util_spawn_wait, go_batch, tokio_util_batch, close_idle, \
             tokio_util_close_idle, tree, token_tree, chain, restart, loop_spawn_restart"
        ),
    }
    // Dropping the runtime would drop the tasks a set-up-only run leaves
    // parked, and count their (aborted) ends; neither run pays for it.
    std::mem::forget(rt);
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match &args[..] {
        [scenario, n] => run(scenario, n.parse().expect("n must be a number")),
        [scenario, n, setup] if setup == "setup" => {
            SKIP.store(true, std::sync::atomic::Ordering::Relaxed);
            run(scenario, n.parse().expect("n must be a number"))
        }
        [] => {
            for s in [
                "go_wait",
                "tokio_spawn_wait",
                "tokio_util_spawn_wait",
                "go_batch",
                "tokio_util_batch",
                "close_idle",
                "tokio_util_close_idle",
                "tree",
                "token_tree",
                "chain",
                "restart",
                "loop_spawn_restart",
            ] {
                run(s, 100);
            }
        }
        _ => panic!("usage: instructions [<scenario> <n> [setup]]"),
    }
}
