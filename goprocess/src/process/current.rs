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

use std::cell::RefCell;

#[cfg(not(goprocess_loom))]
thread_local! {
    static RUNNING: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}
#[cfg(goprocess_loom)]
loom::thread_local! {
    static RUNNING: RefCell<Vec<u64>> = RefCell::new(Vec::new());
}

/// Marks the process `id` as running on this thread until dropped.
#[must_use]
pub(crate) struct Running(());

impl Running {
    #[inline]
    pub(crate) fn enter(id: u64) -> Running {
        RUNNING.with(|r| r.borrow_mut().push(id));
        Running(())
    }
}

impl Drop for Running {
    #[inline]
    fn drop(&mut self) {
        RUNNING.with(|r| {
            r.borrow_mut().pop();
        });
    }
}

/// Whether this thread is running a process function or teardown.
#[inline]
pub(crate) fn any() -> bool {
    RUNNING.with(|r| !r.borrow().is_empty())
}

/// Whether this thread is running the function or teardown of `id`.
pub(crate) fn contains(id: u64) -> bool {
    RUNNING.with(|r| r.borrow().contains(&id))
}
