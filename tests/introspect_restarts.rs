//! A timeline attached to a service that restarts a child for ever stays
//! within its capacity: 100,000 restarts hold no more than 40,000 did (the
//! timeline was full by then), and the table says what it dropped.
//! Counted by a global allocator of this test binary's own.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, AtomicU64, Ordering};
use std::time::Duration;

use goprocess::Process;
use goprocess::introspect::Timeline;
use goprocess::supervise::{Restart, Strategy, Supervisor};

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

/// The bytes live once every task that can run has run.
async fn live() -> isize {
    for _ in 0..64 {
        tokio::task::yield_now().await;
    }
    LIVE.load(Ordering::SeqCst)
}

async fn restart_under_a_timeline() {
    let app = Process::new().named("app");
    let timeline = Timeline::new();
    timeline.attach(&app);
    let sup = Supervisor::new(&app, Strategy::OneForOne)
        .named("sup")
        .max_restarts(3, Duration::from_millis(10));
    let runs = Arc::new(AtomicU64::new(0));
    let r = runs.clone();
    // Each run fails 5 ms after it starts, until the last, which serves.
    sup.child("worker", Restart::Permanent, move |me| {
        let run = r.fetch_add(1, Ordering::SeqCst);
        async move {
            if run < RESTARTS {
                tokio::time::sleep(Duration::from_millis(5)).await;
                return Err("crashed");
            }
            me.closing().await;
            Ok(())
        }
    })
    .unwrap();

    while runs.load(Ordering::SeqCst) < 40_000 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let full = live().await;
    while runs.load(Ordering::SeqCst) < RESTARTS + 1 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let after = live().await;
    assert!(timeline.events().len() <= timeline.capacity());
    assert!(
        timeline.dropped().processes >= 60_000,
        "{:?}",
        timeline.dropped()
    );
    // Kept events go from three quarters of the capacity to all of it and
    // back: at most a quarter of it (16,384 events) more at one reading.
    let grown = after - full;
    assert!(
        grown < 6 << 20,
        "{grown} more bytes live after {RESTARTS} restarts than after 40,000 \
         ({full} then {after}); unbounded, 60,000 runs kept about 40 MB"
    );
    app.close().await.unwrap();
    assert!(
        timeline
            .to_string()
            .lines()
            .last()
            .unwrap()
            .contains("processes dropped")
    );
}

#[test]
fn a_timeline_under_100_000_restarts_stays_within_its_capacity() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(restart_under_a_timeline())
        }));
        let _ = tx.send(outcome);
    });
    match rx.recv_timeout(Duration::from_secs(300)) {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("hung: 100,000 restarts did not finish in 300 s"),
    }
}
