//! Soak: churn processes across threads (a multi-thread runtime with 2
//! workers, plus a plain thread closing with `close_blocking`) while
//! closing subtrees at random, in every way a subtree can be closed
//! (`close`, `close_within`, `close_blocking`, a `close` dropped after one
//! poll, `close_after_children`). Asserts no leak (every edge set back to
//! zero, RSS growth bounded after warm-up) and no hang (every wait bounded),
//! and that every teardown ran exactly once.
//!
//! Short mode by default (600,000 processes, about 12 s in debug on two
//! cores); `GOPROCESS_SOAK_SECS=300` churns for that many
//! seconds instead. The test prints how many processes it churned.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Waker};
use std::time::{Duration, Instant};

use goprocess::Process;

const SHORT_MODE_PROCESSES: usize = 600_000;
const TASKS: usize = 4;
/// RSS may grow this much after warm-up (allocator slack, not a leak).
const RSS_SLACK: usize = 64 << 20;

fn rss_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// xorshift64*: enough randomness for choosing shapes, and reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Default)]
struct Counters {
    made: Arc<AtomicUsize>,
    teardowns_set: Arc<AtomicUsize>,
    teardowns_run: Arc<AtomicUsize>,
    subtrees: Arc<AtomicUsize>,
}

impl Counters {
    fn sync_teardown(&self) -> impl FnOnce() -> Result<(), goprocess::BoxError> + Send + 'static {
        self.teardowns_set.fetch_add(1, Ordering::Relaxed);
        let run = self.teardowns_run.clone();
        move || {
            run.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
    }

    fn set_async_teardown(&self, p: &Process) {
        self.teardowns_set.fetch_add(1, Ordering::Relaxed);
        let run = self.teardowns_run.clone();
        p.set_async_teardown(move || async move {
            tokio::task::yield_now().await;
            run.fetch_add(1, Ordering::Relaxed);
            Ok(())
        })
        .unwrap();
    }
}

async fn bounded<F: Future>(what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(Duration::from_secs(30), fut).await {
        Ok(v) => v,
        Err(_) => panic!("hung: {what} did not finish in 30 s"),
    }
}

/// Builds one random subtree under `root` (about 20 processes) and returns
/// its top and every process in it.
fn subtree(root: &Process, rng: &mut Rng, c: &Counters) -> (Process, Vec<Process>) {
    let top = Process::with_parent(root);
    top.set_teardown(c.sync_teardown()).unwrap();
    let mut all = vec![top.clone()];
    for k in 0..rng.below(5) {
        let yields = rng.below(4);
        let g = top.go(move |me| async move {
            match k % 3 {
                0 => {}
                1 => me.closing().await,
                _ => {
                    for _ in 0..yields {
                        tokio::task::yield_now().await;
                    }
                }
            }
        });
        all.push(g);
    }
    let mut children = Vec::new();
    for _ in 0..1 + rng.below(4) {
        let child = Process::with_parent(&top);
        if rng.below(2) == 0 {
            child.set_teardown(c.sync_teardown()).unwrap();
        } else {
            c.set_async_teardown(&child);
        }
        for _ in 0..rng.below(3) {
            let grandchild = Process::with_parent(&child);
            grandchild.set_teardown(c.sync_teardown()).unwrap();
            all.push(grandchild);
        }
        // Sibling ordering: this child waits for an earlier one.
        if let Some(earlier) = children.get(rng.below(children.len() as u64 + 1) as usize) {
            child.wait_for(earlier).unwrap();
        }
        children.push(child.clone());
        all.push(child);
    }
    if rng.below(2) == 0 {
        let loose = Process::with_teardown(c.sync_teardown());
        top.add_child_no_wait(&loose);
        all.push(loose);
    }
    c.made.fetch_add(all.len(), Ordering::Relaxed);
    (top, all)
}

/// Closes `top` in one of the ways a subtree can be closed.
async fn close_somehow(top: &Process, all: &[Process], rng: &mut Rng) {
    match rng.below(5) {
        0 => bounded("close", top.close()).await.unwrap(),
        1 => bounded("close_within", top.close_within(Duration::from_secs(20)))
            .await
            .unwrap(),
        2 => {
            let t = top.clone();
            bounded(
                "close_blocking",
                tokio::task::spawn_blocking(move || t.close_blocking()),
            )
            .await
            .unwrap()
            .unwrap();
        }
        3 => {
            // Dropped after its first poll: the close must go on by itself.
            {
                let mut close = pin!(top.close());
                let _ = close.as_mut().poll(&mut Context::from_waker(Waker::noop()));
            }
            bounded("closed after a dropped close", top.closed()).await;
        }
        _ => {
            // Let the children close by themselves, then the top.
            for p in &all[1..] {
                if !p.is_closing() && rng.below(2) == 0 {
                    tokio::spawn(p.close());
                }
            }
            let after = tokio::spawn(top.close_after_children());
            for p in &all[1..] {
                if !p.is_closing() {
                    bounded("close of a child", p.close()).await.unwrap();
                }
            }
            bounded("close_after_children", after)
                .await
                .unwrap()
                .unwrap();
        }
    }
    for p in all {
        bounded("closed", p.closed()).await;
    }
    // Only once the whole subtree is closed: a closed process keeps the
    // edge to a no-wait child until that child has closed too.
    for (i, p) in all.iter().enumerate() {
        assert_eq!(
            common::edge_counts(p),
            (0, 0),
            "process {i} of its subtree holds edges once all are closed: {p:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_processes_across_threads_without_leak_or_hang() {
    let long = std::env::var("GOPROCESS_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs);
    let c = Counters::default();
    let root = Process::new().named("soak");
    let start = Instant::now();
    let done = Arc::new(AtomicBool::new(false));
    let keep_going = {
        let (c, done) = (c.clone(), done.clone());
        move || {
            !done.load(Ordering::Relaxed)
                && match long {
                    Some(budget) => start.elapsed() < budget,
                    None => c.made.load(Ordering::Relaxed) < SHORT_MODE_PROCESSES,
                }
        }
    };

    // A plain thread that closes whole subtrees handed to it, blocking.
    let (to_thread, from_tasks) = std::sync::mpsc::channel::<Vec<Process>>();
    let blocking_closer = std::thread::spawn(move || {
        let mut closed = 0usize;
        for all in from_tasks {
            all[0].close_blocking().unwrap();
            for p in &all {
                assert!(p.is_closing(), "closed with its subtree");
            }
            closed += all.len();
        }
        closed
    });

    let mut baseline = None;
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let (root, c, keep_going, to_thread) = (
            root.clone(),
            c.clone(),
            keep_going.clone(),
            to_thread.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (t as u64 + 1));
            while keep_going() {
                let (top, all) = subtree(&root, &mut rng, &c);
                if rng.below(10) == 0 {
                    to_thread.send(all).unwrap();
                } else {
                    close_somehow(&top, &all, &mut rng).await;
                }
                c.subtrees.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    drop(to_thread);
    // Sample RSS once warm (a tenth of the way), while the tasks run.
    let warm_at = long.map_or(SHORT_MODE_PROCESSES / 10, |_| 0);
    while baseline.is_none() && keep_going() {
        if c.made.load(Ordering::Relaxed) >= warm_at
            && (long.is_none() || start.elapsed() > Duration::from_secs(5))
        {
            baseline = rss_bytes();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Each task ends at most one subtree after the churn stops.
    let churn_left = long.map_or(Duration::ZERO, |budget| {
        budget.saturating_sub(start.elapsed())
    });
    for task in tasks {
        let joined = tokio::time::timeout(churn_left + Duration::from_secs(30), task)
            .await
            .expect("hung: a churning task did not stop within 30 s of the end of the churn");
        if let Err(e) = joined {
            done.store(true, Ordering::Relaxed);
            std::panic::resume_unwind(e.into_panic());
        }
    }
    let by_thread = tokio::task::spawn_blocking(move || blocking_closer.join().unwrap())
        .await
        .unwrap();

    // Nothing left: every edge of the long-lived root is gone, every
    // teardown ran exactly once, memory stayed flat.
    assert_eq!(
        common::edge_counts(&root),
        (0, 0),
        "the root's edge set grew"
    );
    let (set, run) = (
        c.teardowns_set.load(Ordering::Relaxed),
        c.teardowns_run.load(Ordering::Relaxed),
    );
    assert_eq!(set, run, "teardowns set vs run");
    bounded("close of the root", root.close()).await.unwrap();
    let made = c.made.load(Ordering::Relaxed);
    if let (Some(before), Some(after)) = (baseline, rss_bytes()) {
        assert!(
            after <= before + RSS_SLACK,
            "RSS grew from {} MiB to {} MiB over {made} processes",
            before >> 20,
            after >> 20
        );
    }
    eprintln!(
        "soak: {made} processes in {} subtrees ({by_thread} of the processes closed by a plain thread) in {:.1?}; {run} teardowns; RSS {:?} -> {:?} MiB",
        c.subtrees.load(Ordering::Relaxed),
        start.elapsed(),
        baseline.map(|b| b >> 20),
        rss_bytes().map(|b| b >> 20),
    );
    assert!(made >= SHORT_MODE_PROCESSES || long.is_some());
}
