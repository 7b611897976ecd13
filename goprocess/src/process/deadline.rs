//! Close budgets: deadlines, escalation, and the report of what is still
//! open ("who is blocking shutdown").
//!
//! A budget is enforced by one timer task per budget (never one per
//! process of the subtree): when it fires and the process is not Closed,
//!
//! 1. the subtree's open processes are reported (tracing `warn`, and in the
//!    `Timeout` error);
//! 2. each open process of the subtree is escalated as it chose
//!    ([`Escalation`]): by default the tasks of its `go` function and of its
//!    async teardown are aborted, so it can finish;
//! 3. the process is detached from its parents: they stop waiting for it
//!    (and list its `Timeout` among their failed children), so a stuck
//!    child never holds its parent hostage.
//!
//! A child's budget never exceeds its parent's remaining budget: the
//! parent's timer escalates the whole subtree, including children whose own
//! budget is longer.

use std::time::Duration;

use super::state::Step;
use super::{Cause, OnFailure, Why};
use super::{Driver, Process};
use crate::error::Error;
use crate::introspect::ShutdownReport;
use crate::name::Shown;
use crate::runtime;

/// What happens to the work of a process still open when a close budget
/// runs out. Set per process with [`Process::escalation`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Escalation {
    /// Abort the tokio tasks of its `go` function and of its async
    /// teardown, so the process closes (with
    /// [`ErrorKind::Aborted`](crate::ErrorKind::Aborted)) and nothing of it
    /// is left running. The default.
    #[default]
    Abort,
    /// Leave its tasks running: the process finishes closing in its own
    /// time, but its parents stop waiting for it.
    Detach,
}

/// Starts the timer of a budget on `p`: a task that ends when `p` closes
/// or when the budget runs out, whichever comes first. Returns what the
/// task found: `Some(Timeout error)` if the budget ran out, or if the
/// reserves of the subtree made it escalate a part early (see
/// [`reserve_schedule`]).
pub(crate) fn start_timer(
    p: &Process,
    budget: Duration,
) -> tokio::sync::oneshot::Receiver<Option<Error>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let p = p.clone();
    let schedule = reserve_schedule(&p, budget);
    let _timer = runtime::spawn_anywhere(None, async move {
        let start = tokio::time::Instant::now();
        let mut early = Early::default();
        for (at, part, waited_only) in schedule {
            tokio::select! {
                biased;
                _ = p.wait_phase(super::state::CLOSED) => break,
                _ = tokio::time::sleep_until(start + at) => {
                    // A wait target outside this close (still running) is
                    // not this budget's to stop.
                    if waited_only && !part.is_closing() {
                        continue;
                    }
                    let report = (early.report.is_none()).then(|| ShutdownReport::collect(&p));
                    let path = path_from(&p, &part);
                    if let Some((_, released)) = overran(&part, at) {
                        early.report = early.report.take().or(report);
                        early.parts.push(format!("`{path}` at {at:?}"));
                        // Its own failure too, so every observer reads it.
                        if let Some(error) = early.error(&p, budget) {
                            let mut st = p.inner.lock();
                            if !st.step.finished() {
                                st.cold_alloc().timeout_error = Some(error);
                            }
                        }
                        if released.is_pending() {
                            runtime::spawn_blocking(move || released.run());
                        }
                    }
                }
            }
        }
        let verdict = tokio::select! {
            biased;
            _ = p.wait_phase(super::state::CLOSED) => None,
            _ = tokio::time::sleep_until(start + budget) => overran(&p, budget),
        };
        let Some((error, released)) = verdict else {
            // Closed in time, but a reserve escalated something: the close
            // did not fit as declared, and says who was stopped.
            let _ = tx.send(early.error(&p, budget));
            return;
        };
        let _ = tx.send(Some(error.with_also(early.error(&p, budget))));
        // The parents it was detached from may close now, sync teardowns
        // included: off this task, which must not block the runtime thread
        // that other budgets' timers run on.
        if released.is_pending() {
            runtime::spawn_blocking(move || released.run());
        }
    });
    rx
}

/// What the reserves under one budget escalated before its end.
#[derive(Default)]
struct Early {
    /// Each part, and when.
    parts: Vec<String>,
    /// What was open at the first.
    report: Option<ShutdownReport>,
}

impl Early {
    /// The `Timeout` error of a close whose reserves escalated parts, if
    /// any were.
    fn error(&self, p: &Process, budget: Duration) -> Option<Error> {
        let report = self.report.clone()?;
        let name = p.inner.lock().name_ref(p.inner.id());
        let detail = format!(
            "escalated {} of its close budget of {budget:?}, to leave teardown reserves their time",
            self.parts.join(", ")
        );
        Some(Error::reserve_escalated(Shown::live(name), detail, report))
    }
}

/// The path of `part` from `root`, following first parents (`part`'s name
/// alone if `root` is not above it).
fn path_from(root: &Process, part: &Process) -> String {
    let mut names = vec![part.display_name()];
    let mut at = part.clone();
    while at != *root && names.len() < 10_000 {
        let parent = at
            .inner
            .lock()
            .parent_links()
            .next()
            .and_then(|(p, _)| p.upgrade());
        let Some(parent) = parent else {
            return part.display_name().into_owned();
        };
        at = Process::from_inner(parent);
        names.push(at.display_name());
    }
    names.reverse();
    names.join("/")
}

/// Some process was given a teardown reserve: until then, a budget does
/// not walk its subtree for reserves.
pub(crate) static ANY_RESERVE: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// When each part of `root`'s subtree must be Closed, under a budget of
/// `budget` from now, for the reserves of the processes that wait for it:
/// a process with a teardown reserve `r` that must be Closed by `D` needs
/// its children, and the siblings a struct's order closes before it, to be
/// Closed by `D - r` (recursively, so reserves add up along the derived
/// order). Returns the parts to escalate before the budget's own end, by
/// time; empty when no reserve is set (the usual case, one walk).
/// Each part comes with whether it was reached only as a `wait_for`
/// target (which may lie outside the close).
pub(crate) fn reserve_schedule(root: &Process, budget: Duration) -> Vec<(Duration, Process, bool)> {
    if !ANY_RESERVE.load(std::sync::atomic::Ordering::Relaxed) {
        return Vec::new();
    }
    let mut best: std::collections::HashMap<u64, Duration> = std::collections::HashMap::new();
    let mut out = Vec::new();
    let mut work = vec![(root.clone(), budget, budget, false)];
    while let Some((p, by, before, waited_only)) = work.pop() {
        if best.get(&p.id()).is_some_and(|b| *b <= by) {
            continue;
        }
        best.insert(p.id(), by);
        if by < before {
            out.push((by, p.clone(), waited_only));
        }
        let st = p.inner.lock();
        let reserve = st.cold().reserve.unwrap_or_default();
        let children_by = by.saturating_sub(reserve);
        // Its children and its wait_for targets (those not in this close
        // are left alone when their time comes: see the timer).
        for e in st.edges().filter(|e| e.kind().waits() && e.waiting()) {
            let waited = e.kind() == super::state::EdgeKind::WaitFor;
            work.push((e.target.clone(), children_by, by, waited));
        }
        // A deferred child closes after these siblings: they are what it
        // waits for, as far as its reserve goes.
        for sibling in st.cold().after.iter() {
            work.push((sibling.clone(), children_by, by, false));
        }
    }
    // Only the earliest time of each part counts.
    out.retain(|(at, p, _)| best.get(&p.id()) == Some(at));
    out.sort_by_key(|(at, _, _)| *at);
    out
}

/// The budget of `p` ran out: report, escalate, detach. `None` if `p`
/// closed in the meantime; else the `Timeout` error, and the work that
/// the detach released, still to run.
pub(crate) fn overran(p: &Process, budget: Duration) -> Option<(Error, Released)> {
    if p.is_closed() {
        return None;
    }
    // A report of a fixed size (the full one is as large as the subtree),
    // and the open processes.
    let (kept, open) = ShutdownReport::at_deadline(p);
    if kept.is_empty() {
        return None;
    }
    tracing::warn!(parent: p.inner.span(), ?budget, "close budget ran out; still open:\n{kept}");
    let name = p.inner.lock().name_ref(p.inner.id());
    let error = Error::timeout(Shown::live(name.clone()), budget, kept);
    {
        // Stored before the escalation, which may let it finish at once.
        let mut st = p.inner.lock();
        if !st.step.finished() {
            st.cold_alloc()
                .timeout_error
                .get_or_insert_with(|| error.clone());
        }
    }
    escalate(&open);
    let released = detach(p, &error);
    p.emit(|process| crate::events::Event::BudgetRanOut {
        process,
        error: error.clone(),
    });
    Some((error, released))
}

/// Applies each open process's escalation to its own tasks.
fn escalate(open: &[Process]) {
    let mut aborted = Vec::new();
    for p in open {
        let mut st = p.inner.lock();
        if st.step != Step::Closed && st.cold().escalation == Escalation::Abort {
            let tasks = (
                st.task.take(),
                st.cold_mut().and_then(|c| c.teardown_task.take()),
            );
            if tasks.0.is_some() || tasks.1.is_some() {
                st.cold_alloc().escalated = true;
                aborted.push((p.clone(), tasks));
            }
        }
    }
    // Outside every lock: aborting drops nothing here (tokio drops an
    // aborted task on its own runtime), but stay on the safe side.
    for (p, (function, teardown)) in aborted {
        tracing::debug!(parent: p.inner.span(), "aborting its tasks past the close budget");
        if let Some(task) = function {
            task.abort();
        }
        if let Some(task) = teardown {
            task.abort();
        }
    }
}

/// What a detach released: the parents to advance, and what waited for
/// `p` to be gone (a deferred sibling's close).
pub(crate) struct Released {
    parents: Driver,
    hooks: Vec<super::state::Hook>,
}

impl Released {
    fn is_pending(&self) -> bool {
        self.parents.is_pending() || !self.hooks.is_empty()
    }

    fn run(self) {
        self.parents.run();
        self.hooks.into_iter().for_each(|hook| hook());
    }
}

/// Makes every parent stop waiting for `p`, recording `error` as a failed
/// child. `p` stays linked (and closed with them); only the wait goes.
fn detach(p: &Process, error: &Error) -> Released {
    let (links, name, hooks, propagate) = {
        let mut st = p.inner.lock();
        let links: Vec<_> = st
            .parent_links()
            .map(|(parent, key)| (parent.clone(), key))
            .collect();
        // An overrun is a failure: with `OnFailure::Propagate` the parents
        // are asked to close now, not once it is Closed (it may never be).
        let mut propagate = false;
        let hooks = match st.cold_mut() {
            Some(cold) => {
                propagate = cold.on_failure == OnFailure::Propagate && !cold.propagated;
                cold.propagated |= propagate;
                cold.hooks.take_at(super::state::HookAt::Left)
            }
            None => Vec::new(),
        };
        let name = st.name_ref(p.inner.id());
        (links, name, hooks, propagate)
    };
    #[cfg(test)]
    tests::between_links_and_parents();
    let mut d = Driver::default();
    let mut asked = Vec::new();
    for (parent, key) in links {
        let Some(parent) = parent.upgrade() else {
            continue;
        };
        let wake = {
            let mut st = parent.lock();
            // The key was read under `p`'s lock, now released: if `p` has
            // closed since, it left this edge set and the key may be
            // another process's edge now.
            let Some(bits) = st.edge_bits_mut(key, p) else {
                continue;
            };
            let was_waiting = bits.waiting();
            bits.set_waiting(false);
            let bits = *bits;
            let is_child = bits.kind().closes() && !bits.supervised();
            let closes_parent =
                propagate && super::close::propagate_to(&mut st, bits, &name, error);
            if closes_parent {
                asked.push(Process {
                    inner: parent.clone(),
                });
            }
            if !was_waiting {
                continue;
            }
            st.pending -= 1;
            if is_child {
                super::close::record_failed_child(&mut st, name.clone(), error.clone());
            }
            st.pending == 0
        };
        if wake {
            d.push_advance(Process { inner: parent });
        }
    }
    for parent in asked {
        let cause = Cause::named(Why::ChildFailed, name.clone());
        super::close::begin_closing(&parent, cause, &mut d);
        super::close::failed_by_child(&parent, &name, error, &mut d);
    }
    Released { parents: d, hooks }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    thread_local! {
        /// Run by `detach` between reading `p`'s links and locking its
        /// parents: where a racing close of `p` can free a key.
        static BETWEEN: RefCell<Option<Box<dyn FnOnce()>>> = const { RefCell::new(None) };
    }

    pub(super) fn between_links_and_parents() {
        if let Some(f) = BETWEEN.with(|b| b.borrow_mut().take()) {
            f();
        }
    }

    #[test]
    fn a_detach_racing_the_close_of_its_process_leaves_a_sibling_that_reused_the_key_alone() {
        let parent = Process::new().named("parent");
        let child = Process::with_parent(&parent).named("child");
        let sibling: std::sync::Arc<std::sync::Mutex<Option<Process>>> = Default::default();
        let (c, pa, sib) = (child.clone(), parent.clone(), sibling.clone());
        BETWEEN.with(|b| {
            *b.borrow_mut() = Some(Box::new(move || {
                // `child` closes (its edge leaves `parent`, freeing its key)
                // and a new sibling takes that key.
                c.close_blocking().unwrap();
                *sib.lock().unwrap() = Some(Process::with_parent(&pa).named("sibling"));
            }))
        });
        let error = Error::aborted("a test");
        let released = detach(&child, &error);
        assert!(!released.is_pending());
        let st = parent.inner.lock();
        assert_eq!(st.pending, 1, "the parent still waits for the sibling");
        assert!(st.edges().all(|e| e.waiting()));
        assert!(st.cold().failed_children.is_empty(), "nothing failed");
    }
}
