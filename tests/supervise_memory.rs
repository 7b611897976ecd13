//! Flat memory under restarts: a supervisor that has restarted a child
//! 100,000 times holds no more than after its first restarts (past a
//! one-time warm-up of its report channel's buffers). Counted by a
//! global allocator of this test binary's own (so no other test's
//! allocations are in the count), and seen in snapshots: the supervisor
//! still has one run linked, and shows the restart count.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, AtomicU64, Ordering};
use std::time::Duration;

use goprocess::Process;
use goprocess::supervise::{Restart, Strategy, Supervisor};
use tokio::sync::Notify;

/// Counts the bytes allocated and not yet freed.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const RESTARTS: u64 = 100_000;

/// Lets every task that can run, run, without moving the paused clock.
async fn settle() {
    for _ in 0..64 {
        tokio::task::yield_now().await;
    }
}

/// The bytes live once the supervisor's state has settled.
async fn live() -> isize {
    settle().await;
    LIVE.load(Ordering::SeqCst)
}

async fn restart_a_child_many_times() {
    let app = Process::new().named("app");
    let sup = Supervisor::new(&app, Strategy::OneForOne)
        .named("sup")
        .max_restarts(3, Duration::from_millis(10));
    let runs = Arc::new(AtomicU64::new(0));
    let gate = Arc::new(Notify::new());
    let (r, g) = (runs.clone(), gate.clone());
    // Each run fails 5 ms after it starts (never more than 2 restarts in a
    // window of 10 ms), until the last, which serves until closed. The
    // second run (after the first restart) waits for the gate first.
    // Its handle is held throughout: it keeps nothing of past runs.
    let worker = sup
        .child_spec("worker", Restart::Permanent, move |me| {
            let run = r.fetch_add(1, Ordering::SeqCst);
            let gate = g.clone();
            async move {
                if run == 1 {
                    gate.notified().await;
                }
                if run < RESTARTS {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    return Err("crashed");
                }
                me.closing().await;
                Ok(())
            }
        })
        .start()
        .unwrap();

    while runs.load(Ordering::SeqCst) < 2 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(sup.restarts(), 1);
    let after_one = live().await;
    let edges_after_one = common::edge_counts(sup.process());
    gate.notify_one();

    while runs.load(Ordering::SeqCst) < 1_001 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let after_thousand = live().await;
    while runs.load(Ordering::SeqCst) < RESTARTS + 1 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(sup.restarts(), RESTARTS);
    assert_eq!(worker.state(), goprocess::supervise::ChildState::Running);
    assert_eq!(sup.children()[0].restarts(), RESTARTS);
    let after_many = live().await;
    // The first few dozen restarts may grow buffers once (the restart
    // window, the channel to the supervisor's loop); from there on,
    // nothing grows.
    let warm_up = after_thousand - after_one;
    assert!(
        warm_up <= 4096,
        "{warm_up} more bytes live after 1,000 restarts than after one \
         ({after_one} then {after_thousand})"
    );
    let grown = after_many - after_thousand;
    assert!(
        grown <= 0,
        "{grown} more bytes live after {RESTARTS} restarts than after 1,000 \
         ({after_thousand} then {after_many})"
    );

    let edges = common::edge_counts(sup.process());
    assert_eq!(edges, edges_after_one);
    assert_eq!(edges, (1, 1), "one run linked, one parent");
    let snapshot = app.snapshot();
    let info = snapshot.get(sup.process().id()).unwrap();
    assert_eq!(info.restarts(), RESTARTS);
    let run = snapshot.get(info.edges()[0].1).unwrap();
    assert_eq!(
        run.restarts(),
        RESTARTS,
        "the run says how many came before"
    );
    assert_eq!(snapshot.processes().len(), 3);
    assert!(
        snapshot
            .to_string()
            .contains(&format!("{RESTARTS} restarts"))
    );
    app.close().await.unwrap();
}

#[test]
fn a_supervisor_holds_no_more_after_100_000_restarts_than_after_one() {
    // Bounded in real time: 100,000 runs on a paused clock take a few
    // seconds in a debug build.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(restart_a_child_many_times())
        }));
        let _ = tx.send(outcome);
    });
    match rx.recv_timeout(Duration::from_secs(300)) {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("hung: 100,000 restarts did not finish in 300 s"),
    }
}
