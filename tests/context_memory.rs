//! The token bridges keep nothing per call once the call's token has no
//! more use: `closed_token` no hook per call, `close_after_token` no task
//! per call. Alone in its own test binary, which counts the bytes it has
//! allocated and not freed.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use common::{tasks, within};
use goprocess::{Process, context};
use tokio_util::sync::CancellationToken;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// One test at a time: the count is the whole binary's.
static ALONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const CALLS: usize = 100_000;

#[tokio::test]
async fn closed_tokens_dropped_leave_nothing_behind() {
    let _alone = ALONE.lock().await;
    let p = Process::new();
    drop(context::closed_token(&p)); // the one-off state of the process
    let before = live();
    for _ in 0..CALLS {
        let token = context::closed_token(&p);
        assert!(!token.is_cancelled());
    }
    let grown = live() - before;
    // Under a byte a call (a hook each was 184).
    assert!(
        grown < CALLS as isize,
        "{grown} bytes kept after {CALLS} dropped closed tokens"
    );
    let kept = context::closed_token(&p);
    within(p.close()).await.unwrap();
    assert!(kept.is_cancelled());
}

#[tokio::test]
async fn tokens_closed_after_cost_no_task_each() {
    let _alone = ALONE.lock().await;
    let before_tasks = tasks();
    let p = Process::new();
    let first = CancellationToken::new();
    context::close_after_token(&p, first.clone());
    tokio::task::yield_now().await;
    let before = live();
    for _ in 0..CALLS {
        // Each token dropped by the caller right away.
        context::close_after_token(&p, CancellationToken::new());
    }
    tokio::task::yield_now().await;
    assert!(
        tasks() <= before_tasks + 1,
        "{} tasks alive for one process's tokens",
        tasks() - before_tasks
    );
    let per_call = (live() - before) / CALLS as isize;
    eprintln!("{per_call} bytes per dropped token");
    // A token no one else holds cannot be noticed (tokio-util says
    // nothing when it is dropped): what is kept per call is its node and
    // one registered wait, a fraction of a task.
    assert!(
        per_call < 300,
        "{per_call} bytes kept per dropped token (a task each is over 500)"
    );
    first.cancel();
    within(p.closed()).await;
    common::tasks_back_to(before_tasks).await;
}
