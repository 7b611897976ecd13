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
//! The stack's first `INLINE` entries are plain cells (entering and
//! leaving cost a couple of thread-local reads and writes per poll of a
//! process function); deeper nesting (a teardown run inside a teardown run
//! inside a teardown ... inside a function's poll, or an event subscriber
//! closing things from there) spills into a vector, so every entry is
//! seen, at any depth.

use std::cell::{Cell, RefCell};

const INLINE: usize = 4;

#[cfg(not(goprocess_loom))]
thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    static RUNNING: [Cell<u64>; INLINE] = const { [const { Cell::new(0) }; INLINE] };
    static DEEPER: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}
#[cfg(goprocess_loom)]
loom::thread_local! {
    static DEPTH: Cell<usize> = Cell::new(0);
    static RUNNING: [Cell<u64>; INLINE] = [const { Cell::new(0) }; INLINE];
    static DEEPER: RefCell<Vec<u64>> = RefCell::new(Vec::new());
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
        if depth < INLINE {
            RUNNING.with(|r| r[depth].set(id));
        } else {
            DEEPER.with(|d| d.borrow_mut().push(id));
        }
        Running(())
    }
}

impl Drop for Running {
    #[inline]
    fn drop(&mut self) {
        let depth = DEPTH.with(|d| {
            let depth = d.get() - 1;
            d.set(depth);
            depth
        });
        if depth >= INLINE {
            DEEPER.with(|d| d.borrow_mut().pop());
        }
    }
}

/// Whether this thread is running a process function or teardown.
#[inline]
pub(crate) fn any() -> bool {
    DEPTH.with(|d| d.get() > 0)
}

/// Whether this thread is running the function or teardown of `id`.
pub(crate) fn contains(id: u64) -> bool {
    let depth = DEPTH.with(Cell::get);
    RUNNING.with(|r| r[..depth.min(INLINE)].iter().any(|c| c.get() == id))
        || (depth > INLINE && DEEPER.with(|d| d.borrow().contains(&id)))
}
