//! Adding edges: the checks (closed, background, cycles) and the
//! registration protocol that keeps both ends consistent without ever
//! holding two process locks.

use std::collections::HashSet;
use std::sync::{Arc, PoisonError};

use super::Driver;
use super::state::{Edge, EdgeKind, Link, Step};
use crate::Process;
use crate::error::{Error, ErrorKind};
use crate::sync::Mutex;

/// Serialises "check for a cycle, then insert the edge" between existing
/// processes, so two racing relations cannot close a cycle together.
/// Edges to fresh processes (`with_parent`, `go`) cannot make a cycle and
/// skip it, so the hot path never touches it.
#[cfg(not(goprocess_loom))]
static GRAPH: Mutex<()> = Mutex::new(());
#[cfg(goprocess_loom)]
loom::lazy_static! {
    static ref GRAPH: Mutex<()> = Mutex::new(());
}

/// Links a parent to a child that no one else can reach yet. Refused
/// (with the parent's name) if the parent has closed.
///
/// The child's side is written without its lock: until the edge is in the
/// parent's set, `child` is the only handle to it.
pub(super) fn link_fresh(
    parent: &Process,
    child: &mut Process,
) -> Result<(), std::borrow::Cow<'static, str>> {
    if parent.inner.background {
        return Ok(());
    }
    let closing = {
        let mut st = parent.inner.lock();
        if st.step == Step::Closed {
            return Err(st.display_name(parent.inner.id));
        }
        let key = st.edges.next_key();
        let fresh = Arc::get_mut(&mut child.inner)
            .expect("a fresh process has a single handle")
            .state_mut();
        fresh.parents.push(Link {
            parent: Arc::downgrade(&parent.inner),
            key,
        });
        if let Some(timeline) = &st.timeline {
            fresh.timeline = Some(timeline.clone());
        }
        let inserted = st.edges.insert(Edge::new(child.clone(), EdgeKind::Child));
        debug_assert_eq!(inserted, key);
        st.pending += 1;
        st.step != Step::Running
    };
    if closing {
        Driver::close(child);
    }
    Ok(())
}

/// Adds the edge `parent → child` of `kind` between existing processes.
pub(super) fn link(parent: &Process, child: &Process, kind: EdgeKind) -> Result<(), Error> {
    link_with(parent, child, kind, &[])
}

/// [`link`]; with a non-empty `after`, a deferred child edge: the child is
/// not closed by its parent's close (its close starts once the processes
/// of `after` have closed, see `Process::add_child_after`), and it waits
/// for them as far as cycles are concerned.
pub(super) fn link_with(
    parent: &Process,
    child: &Process,
    kind: EdgeKind,
    after: &[Process],
) -> Result<(), Error> {
    let deferred = !after.is_empty();
    if parent.inner.background {
        return Ok(());
    }
    if child.inner.background {
        if kind == EdgeKind::ChildNoWait {
            return Ok(());
        }
        return Err(parent.refused(
            ErrorKind::NeverCloses,
            "waiting for it would hang; use add_child_no_wait, or a process made with \
             Process::new()",
        ));
    }
    if kind.waits() && parent == child {
        return Err(parent.refused(ErrorKind::Cycle, "a process cannot wait for itself"));
    }

    let graph = kind
        .waits()
        .then(|| GRAPH.lock().unwrap_or_else(PoisonError::into_inner));
    if graph.is_some() && reaches(child, parent) {
        let detail = format!(
            "`{}` already waits, directly or through others, for `{}`",
            child.display_name(),
            parent.display_name()
        );
        return Err(Error::refused(
            ErrorKind::Cycle,
            parent.display_name(),
            detail,
        ));
    }
    if let Some(sibling) = after.iter().find(|a| *a == child || reaches(a, child)) {
        let detail = format!(
            "`{}` is to close after `{}`, which already waits, directly or through others, for it",
            child.display_name(),
            sibling.display_name()
        );
        return Err(Error::refused(
            ErrorKind::Cycle,
            parent.display_name(),
            detail,
        ));
    }

    let inserted = {
        let mut st = parent.inner.lock();
        if st.step == Step::Closed {
            None
        } else {
            let mut edge = Edge::new(child.clone(), kind);
            edge.deferred = deferred;
            let key = st.edges.insert(edge);
            if kind.waits() {
                st.pending += 1;
            }
            Some((key, st.step != Step::Running, st.timeline.clone()))
        }
    };
    let Some((key, parent_closing, timeline)) = inserted else {
        drop(graph);
        if kind == EdgeKind::ChildNoWait {
            Driver::close(child);
        }
        return Err(parent.refused(
            ErrorKind::Closed,
            "relations must be added before it closes",
        ));
    };

    // `Some(failure)` if the child has closed already (`None` inside when
    // it closed cleanly).
    let child_closed = {
        let mut st = child.inner.lock();
        if st.step == Step::Closed {
            let failure = match st.error.clone() {
                Some(e) if kind == EdgeKind::Child => Some((st.name_ref(child.inner.id), e)),
                _ => None,
            };
            Some(failure)
        } else {
            st.parents.push(Link {
                parent: Arc::downgrade(&parent.inner),
                key,
            });
            if let (None, Some(timeline)) = (&st.timeline, timeline) {
                st.timeline = Some(timeline);
            }
            if deferred && st.step == Step::Running {
                st.after.extend_from_slice(after);
            }
            None
        }
    };
    drop(graph);

    if let Some(failure) = child_closed {
        // Nothing to wait for or close: take the edge back. A child that
        // failed is listed as if it had closed under this parent: nothing
        // is lost by linking late.
        let wake = {
            let mut st = parent.inner.lock();
            let edge = st.edges.remove(key);
            if edge.as_ref().is_some_and(|e| e.waiting) {
                st.pending -= 1;
            }
            drop(edge);
            if let Some((name, error)) = failure {
                super::close::record_failed_child(&mut st, name, error);
            }
            st.pending == 0
        };
        if wake {
            Driver::advance(parent);
        }
    } else if parent_closing && kind.closes() && !deferred {
        Driver::close(child);
    }
    Ok(())
}

/// Whether waiting for `p` to close would wait for the caller itself:
/// `p` is, or waits (directly or not) for, a process whose function or
/// teardown this thread is running. Such a wait can never end, so it is
/// cut short. Only walks when the thread runs such code at all.
pub(crate) fn waits_for_caller(p: &Process) -> bool {
    if !super::current::any() {
        return false;
    }
    let mut seen = HashSet::new();
    let mut stack = vec![p.clone()];
    while let Some(q) = stack.pop() {
        if super::current::contains(q.inner.id) {
            return true;
        }
        if !seen.insert(q.inner.id) {
            continue;
        }
        let st = q.inner.lock();
        if st.step != Step::Closed {
            stack.extend(st.waits_on().filter(|r| !r.is_closed()));
        }
    }
    false
}

/// Whether `to` is reachable from `from` along waiting edges (`from` waits,
/// directly or not, for `to`). Takes one lock at a time.
fn reaches(from: &Process, to: &Process) -> bool {
    let mut seen = HashSet::new();
    let mut stack = vec![from.clone()];
    while let Some(p) = stack.pop() {
        if p == *to {
            return true;
        }
        if !seen.insert(p.inner.id) {
            continue;
        }
        let st = p.inner.lock();
        stack.extend(st.waits_on().filter(|q| !q.is_closed()));
    }
    false
}
