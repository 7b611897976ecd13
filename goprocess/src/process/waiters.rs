//! Waiting for a phase: the futures behind `closing()` and `closed()`.
//!
//! The wakers live in the process's own state, under its lock, rather than
//! in a `tokio::sync::Notify` beside it: the close steps hold that lock at
//! every phase change anyway, so registering, waking and forgetting a
//! waiter cost no lock of their own, and a phase change with nobody
//! waiting costs nothing. (A `Notify` took its own mutex at every phase
//! change and twice per waiter.)
//!
//! A waiter's registration is drained, under the lock, by the step change
//! that satisfies it: `Running → Closing` drains the `closing()` waiters,
//! `→ Closed` drains all of them. So, under the lock, "my target step has
//! been reached" means "my registration is gone", and a waiter never
//! touches a slot (whose key may have been reused) after that.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use super::current;
use super::state::{CLOSED, CLOSING, Inner, State, Step};

/// One registered waiter: the phase it waits for and whom to wake.
pub(crate) struct Waiter {
    target: u8,
    waker: Waker,
}

/// The key of the first waiter, which lives in the process's state
/// (`State::waiter`, its target in `State::waiter_target`): most processes
/// have at most one waiter at a time, whoever awaits `closed()`. More go
/// into a slab in the cold part; slab key `k` is `k + 1`.
const FIRST: u32 = 0;

impl State {
    fn insert_waiter(&mut self, target: u8, waker: Waker) -> u32 {
        if self.waiter.is_none() {
            self.waiter = Some(waker);
            self.waiter_target = target;
            return FIRST;
        }
        self.cold_alloc()
            .more_waiters
            .insert(Waiter { target, waker })
            + 1
    }

    fn waker_mut(&mut self, key: u32) -> Option<&mut Waker> {
        match key {
            FIRST => self.waiter.as_mut(),
            k => self
                .cold_mut()?
                .more_waiters
                .get_mut(k - 1)
                .map(|w| &mut w.waker),
        }
    }

    fn remove_waiter(&mut self, key: u32) {
        match key {
            FIRST => self.waiter = None,
            k => {
                if let Some(cold) = self.cold_mut() {
                    cold.more_waiters.remove(k - 1);
                }
            }
        }
    }

    /// Removes the waiters that `phase` satisfies and returns their wakers,
    /// to be woken once the lock is released and `phase` is stored.
    #[inline]
    pub(crate) fn drain_waiters(&mut self, phase: u8) -> Wakers {
        let more = self.cold_mut().is_some_and(|c| c.more_waiters.len() > 0);
        if self.waiter.is_none() && !more {
            return Wakers::default(); // the usual case: nobody waits
        }
        let first = if self.waiter_target <= phase {
            self.waiter.take()
        } else {
            None
        };
        let more = if more {
            self.drain_more(phase)
        } else {
            Vec::new()
        };
        Wakers { first, more }
    }

    #[cold]
    fn drain_more(&mut self, phase: u8) -> Vec<Waker> {
        let Some(cold) = self.cold_mut() else {
            return Vec::new();
        };
        if phase == CLOSED {
            cold.more_waiters.take_all().map(|w| w.waker).collect()
        } else {
            cold.more_waiters
                .remove_where(|w| w.target <= phase)
                .into_iter()
                .map(|w| w.waker)
                .collect()
        }
    }
}

/// Wakers taken out of a process's state, woken outside its lock.
#[derive(Default)]
#[must_use]
pub(crate) struct Wakers {
    first: Option<Waker>,
    more: Vec<Waker>,
}

impl Wakers {
    #[inline]
    pub(crate) fn wake(self) {
        if let Some(w) = self.first {
            w.wake();
        }
        if !self.more.is_empty() {
            self.more.into_iter().for_each(Waker::wake);
        }
    }
}

/// Whether `step` has reached `target`: then a registration for `target`
/// has been drained (see the module doc).
fn reached(step: Step, target: u8) -> bool {
    match target {
        CLOSING => step != Step::Running,
        _ => step == Step::Closed,
    }
}

/// Resolves once the process's phase is at least `target`; with
/// `cut_self_wait` (the close actions), also once waiting longer for
/// `CLOSED` would wait for the caller itself.
///
/// Such a wait, polled while this thread runs a process function or
/// teardown, is first registered for `CLOSING`: once the process is
/// closing, whether it waits for the caller is checked (one walk of what
/// it waits for); if it does, the wait ends there, since the process cannot
/// be Closed before the caller returns. Otherwise it waits for `CLOSED`.
/// Observers (`closed()`, `err()`) never cut their wait short: they only
/// tell the truth (a debug line says when such a wait begins).
pub(crate) struct PhaseWait {
    /// `None` when the target was reached before the wait was made: it is
    /// ready, and holds no reference (awaiting a process that has already
    /// closed is common, and then costs no reference count round trip).
    inner: Option<Arc<Inner>>,
    target: u8,
    /// The phase the registration (if any) waits for: `target`, or
    /// `CLOSING` while a self-wait is still to be checked.
    registered_for: u8,
    /// The self-wait check was made, and found none (or is not to be made:
    /// an observer's wait).
    checked: bool,
    /// An observer's wait inside a process function was looked at (the
    /// debug line for a wait for oneself).
    noted: bool,
    /// Where this waiter is registered, once it is.
    key: Option<u32>,
}

impl PhaseWait {
    pub(crate) fn new(inner: &Arc<Inner>, target: u8, cut_self_wait: bool) -> PhaseWait {
        PhaseWait {
            inner: (inner.phase() < target).then(|| Arc::clone(inner)),
            target,
            registered_for: target,
            checked: !cut_self_wait,
            noted: cut_self_wait,
            key: None,
        }
    }

    /// Removes the registration, if it was not drained already.
    fn forget(&mut self) {
        let Some(key) = self.key.take() else { return };
        let Some(inner) = &self.inner else { return };
        let mut st = inner.lock();
        if !reached(st.step, self.registered_for) {
            st.remove_waiter(key);
        }
    }
}

impl Future for PhaseWait {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let Some(inner) = &this.inner else {
            return Poll::Ready(()); // reached before the wait was made
        };
        let phase = inner.phase();
        if phase >= this.target {
            this.key = None; // drained: the target was reached under the lock first
            return Poll::Ready(());
        }
        if inner.is_background() {
            return Poll::Pending; // never closes: nothing will ever wake it
        }
        // Only a wait for Closed, polled inside a process function or
        // teardown, may be a wait for oneself (see the type's doc).
        if !this.noted {
            this.noted = true;
            if this.target == CLOSED && current::any() {
                note_observer_self_wait(inner);
            }
        }
        let self_wait_unchecked = this.target == CLOSED && !this.checked && current::any();
        if self_wait_unchecked && phase >= CLOSING {
            this.checked = true;
            let process = crate::Process {
                inner: Arc::clone(inner),
            };
            if super::graph::waits_for_caller(&process) {
                this.forget();
                return Poll::Ready(());
            }
        }
        let want = if self_wait_unchecked && !this.checked {
            CLOSING
        } else {
            this.target
        };
        let mut st = inner.lock();
        if this.key.is_some() && reached(st.step, this.registered_for) {
            this.key = None; // drained by the step change it waited for
        }
        if reached(st.step, want) {
            // Reached under the lock, but the phase is stored a little
            // later (Closed: once the process has left its parents' edge
            // sets). Our registration (if any) is drained: come back at once.
            drop(st);
            this.key = None;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if this.registered_for != want
            && let Some(key) = this.key.take()
        {
            st.remove_waiter(key);
        }
        this.registered_for = want;
        register(&mut st, &mut this.key, want, cx.waker());
        Poll::Pending
    }
}

/// An observer (`closed()`, `err()`) awaited inside a process function or
/// teardown on a process that waits for the caller can only resolve once
/// the caller has returned: say so at debug level, for whoever wrote it by
/// mistake (select it against `closing()` or a timeout).
#[cold]
fn note_observer_self_wait(inner: &Arc<Inner>) {
    if !tracing::enabled!(target: "goprocess", tracing::Level::DEBUG) {
        return;
    }
    let process = crate::Process {
        inner: Arc::clone(inner),
    };
    if super::graph::waits_for_caller(&process) {
        tracing::debug!(
            target: "goprocess",
            parent: inner.span(),
            "closed() or err() awaited inside a process that this one waits for: it resolves only \
             once the caller has returned (await closing() for the start of the close, or bound \
             the wait with a timeout)"
        );
    }
}

fn register(st: &mut State, key: &mut Option<u32>, target: u8, waker: &Waker) {
    match key.and_then(|k| st.waker_mut(k)) {
        Some(w) => {
            if !w.will_wake(waker) {
                w.clone_from(waker);
            }
        }
        None => *key = Some(st.insert_waiter(target, waker.clone())),
    }
}

impl Drop for PhaseWait {
    fn drop(&mut self) {
        self.forget();
    }
}
