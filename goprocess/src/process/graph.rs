//! Adding edges: the checks (closed, background, cycles) and the
//! registration protocol that keeps both ends consistent without ever
//! holding two process locks.

use std::collections::HashSet;
use std::sync::{Arc, PoisonError};

use super::state::{EdgeBits, EdgeKind, Link, State, Step};
use super::{Cause, Driver, OnFailure};
use crate::Process;
use crate::error::{Error, ErrorKind};
use crate::events::Observers;
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
    link_fresh_as(parent, child, false)
}

/// [`link_fresh`]; `supervised` makes the child a run of a supervised
/// child: the parent (its supervisor) waits for it, but neither closes it
/// in its close's step 2 (the supervisor closes its runs in order) nor
/// records or propagates its failures (the supervisor handles them).
pub(super) fn link_fresh_as(
    parent: &Process,
    child: &mut Process,
    supervised: bool,
) -> Result<(), std::borrow::Cow<'static, str>> {
    if parent.inner.is_background() {
        return Ok(());
    }
    // A child that signals readiness is not ready as it is made: its
    // parent counts it, under the readiness lock (see `ready`).
    let unready = !super::ready::is_ready(
        Arc::get_mut(&mut child.inner)
            .expect("a fresh process has a single handle")
            .state_mut(),
    );
    if unready {
        return link_fresh_unready(parent, child, supervised);
    }
    let closing = {
        let mut st = parent.inner.lock();
        if st.step.finished() {
            return Err(st.display_name(parent.inner.id()));
        }
        let key = st.next_edge_key();
        let fresh = Arc::get_mut(&mut child.inner)
            .expect("a fresh process has a single handle")
            .state_mut();
        fresh.add_parent(Link {
            parent: Arc::downgrade(&parent.inner),
            key,
        });
        if st.has_cold() {
            inherit(&st, fresh, supervised);
        }
        let bits = EdgeBits::new(EdgeKind::Child, supervised, supervised);
        let inserted = st.insert_edge(child.clone(), bits);
        debug_assert_eq!(inserted, key);
        st.pending += 1;
        st.step != Step::Running && !supervised
    };
    if closing {
        Driver::close(child, Cause::parent(parent));
    }
    Ok(())
}

/// What a fresh child takes from its parent as it is linked: the
/// observers, and the failure policy its parent gives its children.
fn inherit(parent: &State, fresh: &mut State, supervised: bool) {
    if let Some(observers) = &parent.cold().observers {
        fresh.cold_alloc().observers = Some(observers.clone());
    }
    if let Some(policy) = parent.children_policy()
        && !supervised
    {
        fresh.inherit_policy(policy);
    }
}

/// [`link_fresh_as`] for a child that is not ready as it is made.
#[cold]
#[inline(never)]
fn link_fresh_unready(
    parent: &Process,
    child: &mut Process,
    supervised: bool,
) -> Result<(), std::borrow::Cow<'static, str>> {
    let mut d = Driver::default();
    let readiness = super::ready::link_guard();
    let child_id = child.inner.id();
    let (closing, flipped) = {
        let mut st = parent.inner.lock();
        if st.step.finished() {
            return Err(st.display_name(parent.inner.id()));
        }
        let key = st.next_edge_key();
        let fresh = Arc::get_mut(&mut child.inner)
            .expect("a fresh process has a single handle")
            .state_mut();
        fresh.add_parent(Link {
            parent: Arc::downgrade(&parent.inner),
            key,
        });
        inherit(&st, fresh, supervised);
        if fresh.cold().observers.is_some() {
            fresh.record(child_id, crate::introspect::TimelineEventKind::Starting);
        }
        let mut bits = EdgeBits::new(EdgeKind::Child, supervised, supervised);
        let counted = bits.readiness() && st.step == Step::Running;
        bits.set_unready(counted);
        let inserted = st.insert_edge(child.clone(), bits);
        debug_assert_eq!(inserted, key);
        st.pending += 1;
        let flipped = counted && super::ready::count_fresh(parent, &mut st, &mut d);
        (st.step != Step::Running && !supervised, flipped)
    };
    if flipped {
        super::ready::carry_flip(parent, &mut d);
    }
    drop(readiness);
    if closing {
        d.push_close(child.clone(), Cause::parent(parent));
    }
    d.run();
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
    if parent.inner.is_background() {
        return Ok(());
    }
    if child.inner.is_background() {
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
    // Nothing has an edge to a process without parents (under `GRAPH`, no
    // waiting edge between existing processes can appear meanwhile), so
    // nothing can lead back to it: a struct adopting its fields, a fresh
    // root adopting a subtree, skip the walk.
    if graph.is_some() && has_parents(parent) && reaches(child, parent) {
        return Err(parent.refused(
            ErrorKind::Cycle,
            format!(
                "`{}` already waits, directly or through others, for `{}`",
                child.display_name(),
                parent.display_name()
            ),
        ));
    }
    if let Some(sibling) = after.iter().find(|a| *a == child || reaches(a, child)) {
        return Err(parent.refused(
            ErrorKind::Cycle,
            format!(
                "`{}` is to close after `{}`, which already waits, directly or through others, \
                 for it",
                child.display_name(),
                sibling.display_name()
            ),
        ));
    }

    let inserted = {
        let mut st = parent.inner.lock();
        if st.step.finished() {
            None
        } else {
            let key = st.insert_edge(child.clone(), EdgeBits::new(kind, deferred, false));
            if kind.waits() {
                st.pending += 1;
            }
            let closing = st.step != Step::Running;
            let cause = closing.then(|| Cause::parent(parent));
            let policy = st.children_policy().filter(|_| kind.closes());
            Some((key, cause, st.cold().observers.clone(), policy))
        }
    };
    let Some((key, parent_closing, observers, policy)) = inserted else {
        drop(graph);
        if kind == EdgeKind::ChildNoWait {
            Driver::close(child, Cause::parent(parent));
        }
        return Err(parent.refused(
            ErrorKind::Closed,
            "relations must be added before it closes",
        ));
    };

    // `Some(..)` if the child has closed already: its failure (`None` when
    // it closed cleanly), and whether that failure propagates.
    let mut child_unready = false;
    let child_closed = {
        let mut st = child.inner.lock();
        if st.step.finished() {
            let failure = st
                .cold()
                .error
                .clone()
                .map(|e| (st.name_ref(child.inner.id()), e));
            // Its own failure was passed on to its parents when it failed
            // (`OnFailure::Propagate`): a parent linked later is asked too.
            let propagates = st.cold().propagated && st.cold().on_failure == OnFailure::Propagate;
            Some((failure, propagates))
        } else {
            st.add_parent(Link {
                parent: Arc::downgrade(&parent.inner),
                key,
            });
            if let Some(inherited) = observers
                .as_ref()
                .and_then(|o| Observers::inherit(st.cold().observers.as_ref(), o))
            {
                st.cold_alloc().observers = Some(inherited);
            }
            if deferred && st.step == Step::Running {
                st.cold_alloc().after.extend_from_slice(after);
            }
            if let Some(policy) = policy {
                st.inherit_policy(policy);
            }
            child_unready = !super::ready::is_ready(&st);
            None
        }
    };
    drop(graph);

    if let Some((failure, propagates)) = child_closed {
        // Nothing to wait for or close: take the edge back. A child that
        // failed is listed as if it had closed under this parent, and a
        // propagating one asks it to close, as if it had failed after the
        // link: nothing is lost by linking late.
        let mut asked = None;
        let (wake, woken) = {
            let mut st = parent.inner.lock();
            let edge = st.remove_edge(key);
            if edge.as_ref().is_some_and(|e| e.bits.waiting()) {
                st.pending -= 1;
            }
            if let (Some(edge), Some((name, error))) = (&edge, &failure)
                && propagates
                && super::close::propagate_to(&mut st, edge.bits, name, error)
            {
                asked = Some(name.clone());
            }
            drop(edge);
            if let Some((name, error)) = failure
                && kind == EdgeKind::Child
            {
                super::close::record_failed_child(&mut st, name, error);
            }
            (st.pending == 0, st.children_gone())
        };
        woken.into_iter().for_each(std::task::Waker::wake);
        let mut d = Driver::default();
        if let Some(name) = asked {
            d.push_close(parent.clone(), Cause::named(super::Why::ChildFailed, name));
        }
        if wake {
            d.push_advance(parent.clone());
        }
        d.run();
    } else {
        if child_unready && kind == EdgeKind::Child {
            super::ready::linked(child);
        }
        if let Some(cause) = parent_closing.filter(|_| kind.closes() && !deferred) {
            Driver::close(child, cause);
        }
    }
    Ok(())
}

/// Hashes process ids, which are unique and sequential: as they are, mixed
/// by one multiplication (SipHash's protection against chosen keys buys
/// nothing here, and cost a walk more than its visits).
#[derive(Default, Clone, Copy)]
pub(crate) struct BuildIds;

impl std::hash::BuildHasher for BuildIds {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

pub(crate) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, id: u64) {
        self.0 = id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// What a [`walk`] does after visiting a process.
pub(crate) enum Below<C> {
    /// Goes on to these processes (in this order), each with this context.
    Into(C, Vec<Process>),
    /// Goes nowhere from here.
    Skip,
    /// Ends the walk.
    Stop,
}

/// The one walk of the graph: visits `root` and the processes the visitor
/// leads to, each once, depth first, one lock at a time. `visit` sees each
/// process with its state under its lock, and the context the process that
/// led to it passed on, and says where to go next. Cycle checks, the
/// self-wait check, budgets, observers, snapshots and reports all walk
/// through here.
pub(crate) fn walk<C: Clone>(
    root: &Process,
    ctx: C,
    mut visit: impl FnMut(&Process, &mut State, &C) -> Below<C>,
) {
    let mut seen: HashSet<u64, BuildIds> = HashSet::default();
    let mut stack = vec![(root.clone(), ctx)];
    while let Some((p, ctx)) = stack.pop() {
        if !seen.insert(p.inner.id()) {
            continue;
        }
        let below = visit(&p, &mut p.inner.lock(), &ctx);
        match below {
            Below::Into(ctx, next) => {
                stack.extend(next.into_iter().rev().map(|q| (q, ctx.clone())));
            }
            Below::Skip => {}
            Below::Stop => return,
        }
    }
}

/// Whether waiting for `p` to close would wait for the caller itself:
/// `p` is, or waits (directly or not) for, a process whose function or
/// teardown this thread is running. Such a wait can never end, so it is
/// cut short. Only walks when the thread runs such code at all.
pub(crate) fn waits_for_caller(p: &Process) -> bool {
    if !super::current::any() {
        return false;
    }
    waits_on_any(p, |q| super::current::contains(q.inner.id()))
}

/// Whether anything has an edge to `p` (it has a back-link).
fn has_parents(p: &Process) -> bool {
    p.inner.lock().parent_links().next().is_some()
}

/// Whether `to` is reachable from `from` along waiting edges (`from` waits,
/// directly or not, for `to`).
fn reaches(from: &Process, to: &Process) -> bool {
    waits_on_any(from, |p| p == to)
}

/// Whether `from` is, or waits (directly or not, the sibling order of
/// structs included) for, a process that `found` picks. A Closed process
/// waits for nothing.
fn waits_on_any(from: &Process, found: impl Fn(&Process) -> bool) -> bool {
    let mut hit = false;
    walk(from, (), |p, st, _| {
        if found(p) {
            hit = true;
            return Below::Stop;
        }
        Below::Into((), st.waits_on().filter(|q| !q.is_closed()).collect())
    });
    hit
}
