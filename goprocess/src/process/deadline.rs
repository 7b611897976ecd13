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

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use super::state::Step;
use super::{Driver, Process};
use crate::error::Error;
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

/// One process still open, as listed by a [`ShutdownReport`].
#[derive(Clone, Debug)]
pub struct OpenProcess {
    path: Vec<Cow<'static, str>>,
    id: u64,
    state: &'static str,
    closing_for: Option<Duration>,
    waiting_for: Vec<Cow<'static, str>>,
    function_running: bool,
}

impl OpenProcess {
    /// The names from the reported process down to this one.
    pub fn path(&self) -> &[Cow<'static, str>] {
        &self.path
    }

    /// The process's [`id`](Process::id).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Where it is in its life, in words (e.g. `"closing: running teardown"`).
    pub fn state(&self) -> &'static str {
        self.state
    }

    /// How long it has been closing, if it is.
    pub fn closing_for(&self) -> Option<Duration> {
        self.closing_for
    }

    /// The processes it still waits for (children and wait targets).
    pub fn waiting_for(&self) -> &[Cow<'static, str>] {
        &self.waiting_for
    }

    /// Whether its `go` function has not returned yet.
    pub fn function_running(&self) -> bool {
        self.function_running
    }
}

impl fmt::Display for OpenProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` ({}", self.path.join("/"), self.state)?;
        if let Some(d) = self.closing_for {
            write!(f, " for {d:.1?}")?;
        }
        let mut waits: Vec<String> = self.waiting_for.iter().map(|w| format!("`{w}`")).collect();
        if self.function_running {
            waits.push("its function".into());
        }
        if !waits.is_empty() {
            write!(f, "; waits for {}", waits.join(", "))?;
        }
        f.write_str(")")
    }
}

/// Which processes of a subtree are still open, and why: what each still
/// waits for. Made by [`Process::shutdown_report`], and carried by
/// `Timeout` errors ([`Error::shutdown_report`](crate::Error::shutdown_report)).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use goprocess::Process;
///
/// let app = Process::new().named("app");
/// let _db = app.go(|_| std::future::pending::<()>()).named("db");
/// tokio::spawn(app.close());
/// tokio::task::yield_now().await;
/// let report = app.shutdown_report();
/// assert_eq!(report.open().len(), 2);
/// println!("{report}");
/// // `app` (closing for 0.0ns; waits for `db`)
/// // `app/db` (closing for 0.0ns; waits for its function)
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct ShutdownReport {
    open: Vec<OpenProcess>,
}

impl ShutdownReport {
    /// The open processes, the reported one first, then its subtree depth
    /// first.
    pub fn open(&self) -> &[OpenProcess] {
        &self.open
    }

    /// Whether every process of the subtree is Closed.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    pub(crate) fn collect(root: &Process) -> ShutdownReport {
        let mut open = Vec::new();
        let mut seen = HashSet::new();
        let mut stack = vec![(root.clone(), Vec::new())];
        while let Some((p, mut path)) = stack.pop() {
            if !seen.insert(p.inner.id) || p.inner.background {
                continue;
            }
            let (waiting, children, entry) = {
                let st = p.inner.lock();
                if st.step == Step::Closed {
                    continue;
                }
                path.push(st.display_name(p.inner.id));
                let waiting: Vec<Process> = st.targets(|e| e.waiting).collect();
                let children: Vec<Process> = st.targets(|e| e.kind.closes()).collect();
                let entry = OpenProcess {
                    path: path.clone(),
                    id: p.inner.id,
                    state: st.step.name(),
                    closing_for: st.closing_since.elapsed(),
                    waiting_for: Vec::new(),
                    function_running: st.function_running,
                };
                (waiting, children, entry)
            };
            let mut entry = entry;
            entry.waiting_for = waiting
                .iter()
                .filter(|w| !w.is_closed())
                .map(|w| w.display_name())
                .collect();
            open.push(entry);
            for c in children.into_iter().rev() {
                stack.push((c, path.clone()));
            }
        }
        ShutdownReport { open }
    }
}

impl fmt::Display for ShutdownReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.open.is_empty() {
            return f.write_str("nothing is open");
        }
        for (i, p) in self.open.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// Starts the timer of a budget on `p`: a task that ends when `p` closes
/// or when the budget runs out, whichever comes first. Returns what the
/// task found: `Some(Timeout error)` if the budget ran out.
pub(crate) fn start_timer(
    p: &Process,
    budget: Duration,
) -> tokio::sync::oneshot::Receiver<Option<Error>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let p = p.clone();
    let _timer = runtime::spawn_anywhere(None, async move {
        let verdict = tokio::select! {
            biased;
            _ = p.wait_phase(super::state::CLOSED) => None,
            _ = tokio::time::sleep(budget) => overran(&p, budget),
        };
        let Some((error, released)) = verdict else {
            let _ = tx.send(None);
            return;
        };
        let _ = tx.send(Some(error));
        // The parents it was detached from may close now, sync teardowns
        // included: off this task, which must not block the runtime thread
        // that other budgets' timers run on.
        if released.is_pending() {
            runtime::spawn_blocking(move || released.run());
        }
    });
    rx
}

/// The budget of `p` ran out: report, escalate, detach. `None` if `p`
/// closed in the meantime; else the `Timeout` error, and the work that
/// the detach released, still to run.
pub(crate) fn overran(p: &Process, budget: Duration) -> Option<(Error, Released)> {
    if p.is_closed() {
        return None;
    }
    let report = ShutdownReport::collect(p);
    if report.is_empty() {
        return None;
    }
    tracing::warn!(parent: p.inner.span(), ?budget, "close budget ran out; still open:\n{report}");
    let name = p.inner.lock().name_ref(p.inner.id);
    let error = Error::timeout(Shown::live(name), budget, report.clone());
    {
        // Stored before the escalation, which may let it finish at once.
        let mut st = p.inner.lock();
        if st.step != Step::Closed {
            st.timeout_error.get_or_insert_with(|| error.clone());
        }
    }
    escalate(&report, p);
    let released = detach(p, &error);
    Some((error, released))
}

/// Applies each open process's escalation to its own tasks.
fn escalate(report: &ShutdownReport, root: &Process) {
    let mut stack = vec![root.clone()];
    let mut seen = HashSet::new();
    let open: HashSet<u64> = report.open.iter().map(|o| o.id).collect();
    while let Some(p) = stack.pop() {
        if !seen.insert(p.inner.id) || !open.contains(&p.inner.id) {
            continue;
        }
        let (tasks, children) = {
            let mut st = p.inner.lock();
            let tasks = match st.escalation {
                Escalation::Abort => (st.task.take(), st.teardown_task.take()),
                Escalation::Detach => (None, None),
            };
            if tasks.0.is_some() || tasks.1.is_some() {
                st.escalated = true;
            }
            let children: Vec<Process> = st.targets(|e| e.kind.closes()).collect();
            (tasks, children)
        };
        let (function, teardown) = tasks;
        if function.is_some() || teardown.is_some() {
            tracing::debug!(parent: p.inner.span(), "aborting its tasks past the close budget");
        }
        if let Some(task) = function {
            task.abort();
        }
        if let Some(task) = teardown {
            task.abort();
        }
        stack.extend(children);
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

    fn run(mut self) {
        self.parents.run();
        self.hooks.into_iter().for_each(|hook| hook());
    }
}

/// Makes every parent stop waiting for `p`, recording `error` as a failed
/// child. `p` stays linked (and closed with them); only the wait goes.
fn detach(p: &Process, error: &Error) -> Released {
    let (links, name, hooks) = {
        let mut st = p.inner.lock();
        let links: Vec<_> = st
            .parents
            .iter()
            .map(|l| (l.parent.clone(), l.key))
            .collect();
        let hooks = match st.cold_mut() {
            Some(cold) => cold.hooks.take_at(super::state::HookAt::Left),
            None => Vec::new(),
        };
        let name = st.name_ref(p.inner.id);
        (links, name, hooks)
    };
    #[cfg(test)]
    tests::between_links_and_parents();
    let mut d = Driver::default();
    for (parent, key) in links {
        let Some(parent) = parent.upgrade() else {
            continue;
        };
        let wake = {
            let mut st = parent.lock();
            // The key was read under `p`'s lock, now released: if `p` has
            // closed since, it left this edge set and the key may be
            // another process's edge now.
            let Some(edge) = st.edges.get_mut(key).filter(|e| e.target == *p) else {
                continue;
            };
            if !edge.waiting {
                continue;
            }
            edge.waiting = false;
            let is_child = edge.kind.closes();
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
        assert!(st.edges.iter().all(|e| e.waiting));
        assert!(st.failed_children.is_empty(), "nothing failed");
    }

    #[test]
    fn an_empty_report_says_so() {
        assert_eq!(ShutdownReport::default().to_string(), "nothing is open");
    }
}
