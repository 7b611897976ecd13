//! Which processes this thread is running right now: a process function
//! being polled, or a teardown running (sync, or one poll of an async one).
//!
//! A wait for a process that waits, directly or not, for one of these can
//! never end while the caller is waiting: the caller *is* what the process
//! waits for. Such waits are cut short instead of deadlocking
//! ([`waits_for_caller`](super::graph::waits_for_caller)): this module
//! only keeps the list, as a stack, because a function's poll can run a
//! teardown inline (a `close().await` whose sync teardowns run in the
//! caller's poll), which can close something else in turn.
//!
//! The stack is a few plain cells (entering and leaving cost a couple of
//! thread-local reads and writes per poll of a process function): the
//! innermost `DEPTH_KEPT` entries are kept, and deeper nesting (a teardown
//! run inside a teardown run inside a teardown ... inside a function's
//! poll) only counts. A wait for one of those deeper entries is not seen.

use std::cell::Cell;

const DEPTH_KEPT: usize = 4;

#[cfg(not(goprocess_loom))]
thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    static RUNNING: [Cell<u64>; DEPTH_KEPT] = const { [const { Cell::new(0) }; DEPTH_KEPT] };
}
#[cfg(goprocess_loom)]
loom::thread_local! {
    static DEPTH: Cell<usize> = Cell::new(0);
    static RUNNING: [Cell<u64>; DEPTH_KEPT] = [const { Cell::new(0) }; DEPTH_KEPT];
}

/// Marks the process `id` as running on this thread until dropped.
#[must_use]
pub(crate) struct Running(());

impl Running {
    #[inline]
    pub(crate) fn enter(id: u64) -> Running {
        let depth = DEPTH.with(|d| {
            let depth = d.get();
            d.set(depth + 1);
            depth
        });
        if depth < DEPTH_KEPT {
            RUNNING.with(|r| r[depth].set(id));
        }
        Running(())
    }
}

impl Drop for Running {
    #[inline]
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get() - 1));
    }
}

/// Whether this thread is running a process function or teardown.
#[inline]
pub(crate) fn any() -> bool {
    DEPTH.with(|d| d.get() > 0)
}

/// Whether this thread is running the function or teardown of `id`.
pub(crate) fn contains(id: u64) -> bool {
    let depth = DEPTH.with(Cell::get).min(DEPTH_KEPT);
    RUNNING.with(|r| r[..depth].iter().any(|c| c.get() == id))
}
