//! The close steps, driven without recursion.
//!
//! Closing is event-driven rather than task-driven: a process advances when
//! something it waits for happens (its close was asked, a waited-for process
//! closed, its function returned, its async teardown ended), in whichever
//! thread caused that event. No task is spawned per process; only async
//! teardowns run as tasks. Each event runs a [`Driver`], a work list that
//! replaces recursion, so a chain 100,000 deep closes on a flat stack.
//!
//! The five steps of a close (as in Go's goprocess):
//!
//! 1. [`close_locked`]: mark Closing, wake the `closing()` waiters.
//! 2. Same call: queue every closing edge's target to be closed.
//! 3. [`advance_locked`]: wait for `pending == 0` (every waited-for process
//!    Closed, the process function returned), including edges added meanwhile.
//! 4. Run the teardown, outside every lock, exactly once.
//! 5. [`finish_locked`], then [`Finished::announce`]: store the result,
//!    remove the process from its parents' edge sets, mark Closed and wake
//!    the `closed()` waiters, then release the parents' waits (which may
//!    advance them): whoever sees a process Closed also sees it unlinked,
//!    and no parent is Closed before its children.
//!
//! Each step runs as far as it can under the lock it already holds: a
//! process whose close starts nothing else and waits for nothing goes
//! through steps 1 to 5 in one critical section (and its phase word from
//! Running to Closed in one store, its `closing()` waiters woken after).

use std::sync::Arc;

use tracing::{debug, trace};

use super::cause::{By, Cause, Why};
use super::state::{
    CLOSED, CLOSING, Cold, EdgeBits, EdgeKind, EdgeRef, Few, Hook, HookAt, Inner, Links, Stamp,
    State, Step,
};
use super::teardown::{self, Teardown};
use super::waiters::Wakers;
use super::{OnFailure, ProcessRef};
use crate::Process;
use crate::error::{Error, ErrorKind, MAX_CHILD_ERRORS};
use crate::events::{Event, Observers};
use crate::introspect::TimelineEventKind;
use crate::name::{Name, Shown};
use crate::sync::MutexGuard;

/// Pending work of one event: processes to start closing (and why), and
/// processes whose wait condition may have changed.
#[derive(Default)]
pub(crate) struct Driver {
    close: Stack<(Process, Cause)>,
    advance: Stack<Process>,
    /// Processes with events to deliver: taken last, once the close steps
    /// queued on this thread have all run, so a subscriber (user code,
    /// which may block, panic or close anything) never runs in the middle
    /// of a close step with work still queued. First in, first out: events
    /// go out in the order their processes queued them (a parent's
    /// `Closing` before the children's it caused).
    /// Boxed: most events deliver nothing, and a `Driver` is moved.
    #[allow(
        clippy::box_collection,
        reason = "one pointer where most drivers need none"
    )]
    deliver: Option<Box<std::collections::VecDeque<Process>>>,
    /// When this event started closing processes, read once: a parent
    /// closing 100,000 children reads the clock once, not 100,000 times.
    now: Option<Stamp>,
}

/// A LIFO work list that holds its first entry inline: most events touch
/// one or two processes, and should not allocate for it.
struct Stack<T> {
    /// The bottom entry; only empty when `rest` is empty too.
    first: Option<T>,
    rest: Vec<T>,
}

impl<T> Default for Stack<T> {
    fn default() -> Stack<T> {
        Stack {
            first: None,
            rest: Vec::new(),
        }
    }
}

impl<T> Stack<T> {
    fn push(&mut self, p: T) {
        if self.first.is_none() {
            self.first = Some(p);
        } else {
            self.rest.push(p);
        }
    }

    fn pop(&mut self) -> Option<T> {
        self.rest.pop().or_else(|| self.first.take())
    }

    fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }
}

impl<T> Extend<T> for Stack<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for p in iter {
            self.push(p);
        }
    }
}

impl Driver {
    /// Starts closing `p` for `cause` (and everything that closes with it)
    /// and runs every step that can run now.
    pub(crate) fn close(p: &Process, cause: Cause) {
        let mut d = Driver::default();
        d.close.push((p.clone(), cause));
        d.run();
    }

    /// Re-checks `p`'s wait condition and runs every step that can run now.
    pub(crate) fn advance(p: &Process) {
        let mut d = Driver::default();
        d.advance.push(p.clone());
        d.run();
    }

    pub(crate) fn push_advance(&mut self, p: Process) {
        self.advance.push(p);
    }

    pub(crate) fn push_close(&mut self, p: Process, cause: Cause) {
        self.close.push((p, cause));
    }

    /// Delivers `p`'s queued events (see [`Outbox`]) once the close steps
    /// queued here have run.
    pub(crate) fn push_deliver(&mut self, p: Process) {
        self.deliver.get_or_insert_default().push_back(p);
    }

    /// Whether there is work left to run.
    pub(crate) fn is_pending(&self) -> bool {
        self.close.len() + self.advance.len() + self.deliver.as_ref().map_or(0, |d| d.len()) > 0
    }

    /// Runs the work until none is left.
    pub(crate) fn run(mut self) {
        loop {
            if let Some((p, cause)) = self.close.pop() {
                begin_closing(&p, cause, &mut self);
            } else if let Some(p) = self.advance.pop() {
                advance(&p, &mut self);
            } else if let Some(p) = self.deliver.as_mut().and_then(|d| d.pop_front()) {
                deliver_next(&p, &mut self);
            } else {
                break;
            }
        }
        // Empty now: unless a list grew a buffer (to be freed), nothing is
        // left to drop, and the drop glue of the inline entries would cost
        // every event of one process a call and a dozen branches.
        if self.close.rest.capacity() == 0
            && self.advance.rest.capacity() == 0
            && self.deliver.is_none()
        {
            debug_assert!(self.close.first.is_none() && self.advance.first.is_none());
            std::mem::forget(self);
        }
    }
}

/// Steps 1 and 2.
pub(crate) fn begin_closing(p: &Process, cause: Cause, d: &mut Driver) {
    close_locked(p, p.inner.lock(), cause, d);
}

/// Steps 1 and 2, with `p`'s lock held (and released here). When the close
/// starts nothing else (no child to close, no token, budget or hook) and
/// nothing is pending, steps 3 to 5 follow under the same lock: a process
/// whose function returned closes in one critical section, and nobody can
/// see it Closing in between.
pub(crate) fn close_locked(
    p: &Process,
    mut st: MutexGuard<'_, State>,
    cause: Cause,
    d: &mut Driver,
) {
    let inner = &p.inner;
    if st.step != Step::Running || inner.is_background() {
        return;
    }
    st.step = Step::Closing;
    st.cause = cause.why;
    // Most processes have no cold part and a cause that names no process
    // (or names a parent, through the back-link): nothing more to do.
    let budgeted = cause.budgeted;
    let rare = match cause.by {
        Some(By::Process(_) | By::Named(_)) => Some(closing_rare(p, &mut st, cause.by, budgeted)),
        _ if st.has_cold() => Some(closing_rare(p, &mut st, cause.by, budgeted)),
        _ => None,
    };
    // Under a budget (this close's, or its own): so are its children.
    let budgeted = budgeted || st.has_cold() && st.cold().budgeted;
    // As stored: a parent is named through the back-link kept for it.
    let traced = (!inner.span().is_disabled()).then(|| st.cause_stored());
    let closes = |e: &EdgeRef<'_>| e.kind().closes() && !e.deferred();
    let closes_children = st.edge_count() > 0 && st.edges().any(|e| closes(&e)) && {
        d.close.extend(
            st.targets(closes)
                .map(|child| (child, Cause::parent(p).under_budget(budgeted))),
        );
        true
    };
    let woken = st.drain_waiters(CLOSING);
    let quiet = !closes_children && rare.as_ref().is_none_or(|r| r.extras.is_none());
    let next = if quiet {
        ready_locked(p, &mut st)
    } else {
        None
    };
    // A process that closes in this critical section goes from Running to
    // Closed for lock-free readers too (one atomic store, in step 5);
    // others stay Closing for a while, and reports say since when.
    let finishing = matches!(
        next,
        Some(Next::Finish(Finished::Plain { .. } | Finished::Full(_)))
    );
    if !finishing {
        inner.set_phase(CLOSING);
        st.closing_since = *d.now.get_or_insert_with(Stamp::now);
    }
    // Whatever releases its last wait later advances it (every release
    // that brings `pending` to zero does): it needs another look only when
    // nothing is pending now, its close having started something.
    let look_again = !quiet && st.pending == 0;
    drop(st);
    if let Some(stored) = traced {
        let cause = stored.resolve();
        debug!(parent: inner.span(), cause = %DisplayOption(cause.as_ref()), "closing");
    }
    let extras = rare.and_then(|rare| rare.unlocked(p, d));
    if finishing {
        // Quiet, so no extras. Its `closing()` waiters are woken once the
        // phase says Closed (woken before, they would find it neither
        // Closing nor Closed).
        debug_assert!(extras.is_none());
        if let Some(next) = next {
            run_next(p, next, d);
        }
        woken.wake();
        return;
    }
    woken.wake();
    if let Some(extras) = extras {
        extras.run(p, d);
    }
    match next {
        Some(next) => run_next(p, next, d),
        // Its close may have closed or released something: look again.
        None if look_again => d.advance.push(p.clone()),
        // Waiting: whatever it waits for advances it when it is done.
        None => {}
    }
}

/// What the start of a close does with the cold part, for the processes
/// that have one: the cause's named process, the timeline, the
/// subscribers, the closing extras, a deferred child's order.
struct Rare {
    extras: Option<ClosingExtras>,
    after: Vec<Process>,
    /// Its `Closing` event was queued, and this thread is to deliver it.
    deliver: bool,
}

impl Rare {
    /// Outside the lock: returns the extras to run once the waiters are
    /// woken.
    #[cold]
    #[inline(never)]
    fn unlocked(self, p: &Process, d: &mut Driver) -> Option<ClosingExtras> {
        let Rare {
            extras,
            after,
            deliver,
        } = self;
        drop(after);
        if deliver {
            d.push_deliver(p.clone());
        }
        extras
    }
}

#[cold]
#[inline(never)]
fn closing_rare(p: &Process, st: &mut State, by: Option<By>, budgeted: bool) -> Rare {
    if budgeted || st.cold().budget.is_some() {
        st.cold_alloc().budgeted = true;
    }
    match by {
        // The only parent is its back-link; among several, keep which.
        Some(By::Parent(id)) if !st.cold().more_parents.is_empty() => {
            let by = st.parent_links().find_map(|(parent, _)| {
                parent
                    .upgrade()
                    .filter(|p| p.id() == id)
                    .map(|p| Arc::downgrade(&p))
            });
            st.cold_alloc().cause_by = by;
        }
        Some(By::Parent(_)) | None => {}
        Some(By::Process(weak)) => st.cold_alloc().cause_by = Some(weak),
        Some(By::Named(name)) => st.cold_alloc().cause_name = Some(name),
    }
    st.record(p.inner.id(), TimelineEventKind::Closing);
    let deliver = match st.subscribers() {
        Some(observers) => {
            let name = st.name_ref(p.inner.id());
            let cause = st.cause_stored();
            st.cold_alloc().outbox.push(Delivery::Closing {
                observers,
                name,
                cause,
            })
        }
        None => false,
    };
    let extras = st.cold_mut().and_then(ClosingExtras::take);
    // A deferred child's order no longer matters once its close started.
    let after = match st.cold_mut() {
        Some(cold) if !cold.after.is_empty() => std::mem::take(&mut cold.after),
        _ => Vec::new(),
    };
    Rare {
        extras,
        after,
        deliver,
    }
}

/// What the start of a close does besides closing children, for the few
/// processes that have any of it (all of it lives in the cold part).
struct ClosingExtras {
    hooks: Vec<Hook>,
    token: Option<tokio_util::sync::CancellationToken>,
    budget: Option<std::time::Duration>,
    /// It was not ready: its start failed, roll its parents back.
    roll_back: bool,
    /// Its `ready()` waiters: it is closing, they now wait for Closed.
    ready_waiters: Vec<std::task::Waker>,
}

impl ClosingExtras {
    fn take(cold: &mut Cold) -> Option<ClosingExtras> {
        let roll_back = cold.ready.unready > 0;
        cold.ready.failed = roll_back;
        let extras = ClosingExtras {
            hooks: cold.hooks.take_at(HookAt::Closing),
            token: cold.closing_token.clone(),
            budget: cold.budget,
            roll_back,
            ready_waiters: cold.ready.take_waiters(),
        };
        let none = extras.hooks.is_empty()
            && extras.token.is_none()
            && extras.budget.is_none()
            && !extras.roll_back
            && extras.ready_waiters.is_empty();
        (!none).then_some(extras)
    }

    /// Outside the lock.
    fn run(self, p: &Process, d: &mut Driver) {
        if let Some(token) = self.token {
            token.cancel();
        }
        if self.roll_back {
            super::ready::roll_back(p, d);
        }
        self.ready_waiters
            .into_iter()
            .for_each(std::task::Waker::wake);
        if let Some(budget) = self.budget {
            // The verdict also reaches the parents (detach) and the tracing
            // output; nobody else is waiting for it here.
            drop(super::deadline::start_timer(p, budget));
        }
        for hook in self.hooks {
            hook();
        }
    }
}

/// What a process does next, outside its lock.
enum Next {
    Teardown(Teardown),
    Finish(Finished),
}

/// Steps 3 and 4 (and `close_after_children`'s trigger).
fn advance(p: &Process, d: &mut Driver) {
    advance_locked(p, p.inner.lock(), d);
}

/// [`advance`], with `p`'s lock held (and released here).
pub(crate) fn advance_locked(p: &Process, mut st: MutexGuard<'_, State>, d: &mut Driver) {
    if st.pending > 0 {
        return;
    }
    if st.step == Step::Running && st.idle_close != Why::Running {
        let cause = Cause::of(st.idle_close);
        return close_locked(p, st, cause, d);
    }
    let next = ready_locked(p, &mut st);
    drop(st);
    if let Some(next) = next {
        run_next(p, next, d);
    }
}

/// Under `p`'s lock: the next step of a closing process whose waits are
/// all released, if it has one.
fn ready_locked(p: &Process, st: &mut State) -> Option<Next> {
    if st.pending > 0 {
        return None;
    }
    match st.step {
        Step::Closing => match st.take_teardown() {
            None => Some(Next::Finish(finish_locked(p, st))),
            Some(tf) => {
                st.step = Step::TearingDown;
                st.record(p.inner.id(), TimelineEventKind::TeardownStarted);
                Some(Next::Teardown(tf))
            }
        },
        Step::TornDown => Some(Next::Finish(finish_locked(p, st))),
        _ => None,
    }
}

fn run_next(p: &Process, next: Next, d: &mut Driver) {
    match next {
        Next::Finish(finished) => finished.announce(p, d),
        Next::Teardown(Teardown::Sync(tf))
            if p.inner.lock().cold().budgeted && crate::runtime::on_runtime_worker() =>
        {
            // It may block: not on a runtime's worker while a budget counts.
            let q = p.clone();
            crate::runtime::spawn_blocking(move || {
                let mut d = Driver::default();
                run_sync_teardown(&q, tf, &mut d);
                d.run();
            });
        }
        Next::Teardown(Teardown::Sync(tf)) => run_sync_teardown(p, tf, d),
        Next::Teardown(Teardown::Async(boxed)) => {
            let teardown::AsyncTeardown { make, home } = *boxed;
            trace!(parent: p.inner.span(), "teardown started");
            let started = std::time::Instant::now();
            let q = p.clone();
            let task = teardown::spawn_async(p.inner.id(), make, home, move |result| {
                trace_teardown_end(&q, started, &result);
                let mut d = Driver::default();
                teardown_done(&q, result, &mut d);
                d.run();
            });
            let mut st = p.inner.lock();
            if st.step == Step::TearingDown {
                st.cold_alloc().teardown_task = Some(task);
            }
        }
    }
}

fn run_sync_teardown(p: &Process, tf: teardown::SyncTeardown, d: &mut Driver) {
    trace!(parent: p.inner.span(), "teardown started");
    let started = std::time::Instant::now();
    let result = teardown::run_sync(p.inner.id(), tf);
    trace_teardown_end(p, started, &result);
    teardown_done(p, result, d);
}

fn trace_teardown_end(p: &Process, started: std::time::Instant, result: &Result<(), Error>) {
    let elapsed = started.elapsed();
    match result {
        Ok(()) => debug!(parent: p.inner.span(), ?elapsed, "teardown finished"),
        Err(e) if e.kind() == ErrorKind::Panic => {
            debug!(parent: p.inner.span(), ?elapsed, panic = e.panic_message(), "teardown panicked")
        }
        Err(e) => debug!(parent: p.inner.span(), ?elapsed, error = %e, "teardown failed"),
    }
}

/// The teardown has returned: record its result, then finish once no
/// relation added meanwhile is still pending.
fn teardown_done(p: &Process, result: Result<(), Error>, d: &mut Driver) {
    let mut propagating = None;
    let finished = {
        let mut st = p.inner.lock();
        if let Err(e) = result {
            let e = super::state::aborted_why(&st, e);
            if st.cold().on_failure == OnFailure::Propagate {
                propagating = Some(e.clone());
            }
            st.cold_alloc().teardown_error = Some(e);
        }
        st.step = Step::TornDown;
        if let Some(cold) = st.cold_mut() {
            cold.teardown_task = None;
        }
        st.record(p.inner.id(), TimelineEventKind::TeardownFinished);
        (st.pending == 0).then(|| finish_locked(p, &mut st))
    };
    // Its surroundings hear of the failure now, before it is Closed.
    if let Some(error) = propagating {
        propagate_now(p, error, d);
    }
    if let Some(finished) = finished {
        finished.announce(p, d);
    }
}

/// The failure of a parent closed by its child `name`'s failure `error`.
fn child_failed(parent: Name, name: &Name, error: &Error) -> Error {
    Error::children_failed(Shown::live(parent)).with_children(
        vec![Error::child_entry(Shown::live(name.clone()), error.clone())],
        0,
    )
}

/// `parent` was just asked to close by its child `name`'s failure `error`:
/// it has failed at that moment, and passes it on if it propagates.
pub(crate) fn failed_by_child(parent: &Process, name: &Name, error: &Error, d: &mut Driver) {
    let parent_name = parent.name_ref();
    propagate_now(parent, child_failed(parent_name, name, error), d);
}

/// The failure `error` of `p` is known now (its function or teardown
/// failed): with `OnFailure::Propagate`, every parent still running is
/// asked to close at once, not once `p` is Closed, and has failed at that
/// moment, so a propagating parent passes it on up in turn (a loop, not a
/// recursion). Nothing for a taken result, or a failure passed on already.
pub(crate) fn propagate_now(p: &Process, error: Error, d: &mut Driver) {
    let mut work = vec![(p.clone(), error)];
    while let Some((q, error)) = work.pop() {
        let (name, links) = {
            let mut st = q.inner.lock();
            let id = q.inner.id();
            let Some(cold) = st.cold_mut() else { continue };
            if cold.on_failure != OnFailure::Propagate || cold.propagated || cold.taken {
                continue;
            }
            cold.propagated = true;
            let links: Vec<_> = st
                .parent_links()
                .map(|(parent, key)| (parent.clone(), key))
                .collect();
            (st.name_ref(id), links)
        };
        for (parent, key) in links {
            let Some(parent) = parent.upgrade() else {
                continue;
            };
            let parent = Process::from_inner(parent);
            let mut st = parent.inner.lock();
            let Some(bits) = st.edge_bits_mut(key, &q).map(|b| *b) else {
                continue;
            };
            if propagate_to(&mut st, bits, &name, &error) {
                let parent_name = st.name_ref(parent.inner.id());
                // Its close starts now, with this cause, before the failure
                // climbs further (whose closes would reach it first).
                let cause = Cause::named(Why::ChildFailed, name.clone());
                close_locked(&parent, st, cause, d);
                work.push((parent, child_failed(parent_name, &name, &error)));
            }
        }
    }
}

/// The result of a process that failed, and its name. Takes the
/// recorded failures out of `st`.
#[cold]
#[inline(never)]
fn failure(st: &mut State, id: u64) -> (Result<(), Error>, Name) {
    let name = st.name_ref(id);
    let cold = st.cold_alloc();
    // The process's own failures, most telling first: a budget overrun
    // explains the failures it caused (an aborted function), and a
    // function's failure comes before its teardown's. Each next one
    // hangs off the previous as `also`.
    let mut own: Option<Error> = None;
    for e in [
        cold.teardown_error.take(),
        cold.function_error.take(),
        cold.timeout_error.take(),
        cold.ready.start_error.take(),
    ]
    .into_iter()
    .flatten()
    {
        own = Some(e.for_process(Shown::live(name.clone())).with_also(own));
    }
    let children = std::mem::take(&mut cold.failed_children);
    let omitted = std::mem::replace(&mut cold.omitted_children, 0);
    let own = own.unwrap_or_else(|| Error::children_failed(Shown::live(name.clone())));
    (Err(own.with_children(children, omitted)), name)
}

/// Step 5, the part under the process's lock: store its result, and
/// either mark it Closed (for the lock holders) and take out what the rest
/// of the step needs, or, for a process with subscribers, queue its last
/// events and the rest of the step behind them. Only for a process that is
/// not finished yet.
fn finish_locked(p: &Process, st: &mut State) -> Finished {
    debug_assert!(!st.step.finished(), "a process finishes once");
    // The function's end cleared its task handle before releasing its
    // wait: nothing to drop here.
    debug_assert!(st.task.is_none() && !st.function_running);
    if !st.has_cold() && st.edge_count() == 0 {
        // The usual close: no failure, name, hook, observer, timeline or
        // second parent (all of them live in the cold part), and no edge
        // left. Its parent is upgraded here, under the lock: cheaper than a
        // copy of the `Weak` upgraded later.
        st.step = Step::Closed;
        return Finished::Plain {
            parent: st.take_only_parent(),
            woken: st.drain_waiters(CLOSED),
        };
    }
    finish_full_locked(p, st)
}

/// [`finish_locked`] for a process with a cold part.
#[inline(never)]
fn finish_full_locked(p: &Process, st: &mut State) -> Finished {
    let inner = &p.inner;
    // Only a failing process needs its name and an error built: the
    // usual clean close skips both (formatting `#id` alone would cost
    // an allocation per process).
    // Failed on its own (not only through isolated children): what its
    // `OnFailure` acts on, and what a `Failed` event reports.
    let mut own_failure = false;
    let mut failing = false;
    let mut propagate = false;
    if let Some(c) = st.cold_mut() {
        own_failure = c.teardown_error.is_some()
            || c.function_error.is_some()
            || c.timeout_error.is_some()
            || c.ready.start_error.is_some()
            || c.failed_by_child;
        // Failures their callers took since they were listed are theirs.
        c.failed_children.retain(|child| !child.error().is_taken());
        failing = own_failure || !c.failed_children.is_empty() || c.omitted_children > 0;
        propagate =
            own_failure && c.on_failure == OnFailure::Propagate && !c.propagated && !c.taken;
        c.propagated |= propagate;
    }
    let (result, mut name) = if failing {
        let (result, name) = failure(st, inner.id());
        (result, Some(name))
    } else {
        (Ok(()), None)
    };
    // A taken result is its caller's: its parents do not list it.
    let taken = st.cold().taken;
    if taken {
        name = None;
    }
    // A failure that reaches a root and that nobody takes is logged.
    let uncaught = result.is_err()
        && !taken
        && st.parent_links().next().is_none()
        && st.subscribers().is_none();
    if let Err(e) = &result {
        st.cold_alloc().error = Some(e.clone());
    }
    st.record(
        inner.id(),
        TimelineEventKind::Closed {
            failed: result.is_err(),
        },
    );
    let outcome = Outcome {
        result,
        name,
        propagate,
        uncaught,
    };
    let Some(subscribers) = st.subscribers() else {
        st.step = Step::Closed;
        return Finished::Full(outcome.leave_locked(inner.id(), st));
    };
    // Its subscribers see `Failed` and `Closed` before anyone can see it
    // Closed: the rest of step 5 waits behind them in its outbox.
    st.step = Step::Finishing;
    let process = match &outcome.name {
        Some(name) => name.clone(),
        None => st.name_ref(inner.id()),
    };
    let start_failed =
        st.cold().ready.failed.then(|| {
            super::ready::start_failure(outcome.result.as_ref().err(), process.clone(), None)
        });
    let outbox = &mut st.cold_alloc().outbox;
    let mut deliver = false;
    if let Some(error) = start_failed {
        deliver |= outbox.push(Delivery::Event {
            observers: subscribers.clone(),
            event: Event::StartFailed {
                process: ProcessRef(process.clone()),
                error,
            },
        });
    }
    if own_failure && let Err(error) = &outcome.result {
        deliver |= outbox.push(Delivery::Event {
            observers: subscribers.clone(),
            event: Event::Failed {
                process: ProcessRef(process.clone()),
                error: error.clone(),
            },
        });
    }
    deliver |= outbox.push(Delivery::Event {
        observers: subscribers,
        event: Event::Closed {
            process: ProcessRef(process),
            result: outcome.result.clone(),
        },
    });
    deliver |= outbox.push(Delivery::Finish(outcome));
    Finished::Deferred { deliver }
}

/// A finished process's result, and what it does to its parents.
pub(crate) struct Outcome {
    result: Result<(), Error>,
    /// For a failed process: its name, for its parents' lists.
    name: Option<Name>,
    /// Its failure asks its parents to close (`OnFailure::Propagate`).
    propagate: bool,
    /// It failed, it is a root, and nobody takes its failure (no
    /// subscriber, no `close_and_take`): logged at `error` level.
    uncaught: bool,
}

impl Outcome {
    /// Under the lock of a process marked Closed: takes out what the rest
    /// of step 5 needs.
    fn leave_locked(self, id: u64, st: &mut State) -> FinishedFull {
        debug_assert!(st.step == Step::Closed);
        let unready = (!super::ready::is_ready(st)).then(|| st.name_ref(id));
        FinishedFull {
            unready,
            links: st.take_parents(),
            leftover: take_leftover_edges(st),
            outcome: self,
            // Only Closed hooks can be left: Closing ones ran at step 1, and
            // one added later runs at once.
            hooks: st.cold_mut().map(|c| c.hooks.take()).unwrap_or_default(),
            woken: st.drain_waiters(CLOSED),
        }
    }
}

/// What step 5 does after the process's own lock is released.
enum Finished {
    /// A process without a cold part: it closed cleanly, and has at most
    /// one parent (upgraded, with the key of its edge there) and nobody to
    /// tell but its waiters.
    Plain {
        parent: Option<(Arc<Inner>, u32)>,
        woken: Wakers,
    },
    Full(FinishedFull),
    /// A process with subscribers: the rest of step 5 is queued in its
    /// outbox, behind its last events; `deliver` if this thread is to
    /// deliver them.
    Deferred {
        deliver: bool,
    },
}

/// [`Finished`] for a process with a cold part.
struct FinishedFull {
    links: Links,
    /// Its name, if it was not ready (its start failed): a parent that
    /// counts it and still runs is rolled back.
    unready: Option<Name>,
    /// Its edges still in place: see [`take_leftover_edges`].
    leftover: Vec<(u32, Process)>,
    outcome: Outcome,
    hooks: Vec<(HookAt, Hook)>,
    woken: Wakers,
}

/// What a failed process takes to each parent it leaves.
struct Failing<'a> {
    name: &'a Name,
    error: &'a Error,
    /// Its failure asks its parents to close (`OnFailure::Propagate`).
    propagate: bool,
    /// The parents it asked.
    asked: Vec<Arc<Inner>>,
}

impl Failing<'_> {
    /// What a parent lists of it: its failure, if it is that parent's child.
    fn as_child(&self, is_child: bool) -> Option<(&Name, &Error)> {
        is_child.then_some((self.name, self.error))
    }
}

/// Leaves `parent`'s edge set (the edge at `key`). As the `last` parent,
/// under its lock, marks `p` Closed and releases that parent's wait at
/// once (one lock per parent); otherwise returns the parent if its wait is
/// still to be released, and whether `p` is its child.
#[allow(clippy::too_many_arguments)]
fn leave(
    p: &Process,
    parent: Arc<Inner>,
    key: u32,
    last: bool,
    failing: Option<&mut Failing<'_>>,
    unready: Option<&Name>,
    d: &mut Driver,
) -> Option<(Arc<Inner>, bool)> {
    let mut st = parent.lock();
    let edge = st.remove_edge(key)?;
    debug_assert!(edge.target == *p, "a back-link names its own edge");
    let bits = edge.bits;
    let (waiting, is_child) = (bits.waiting(), bits.kind().closes() && !bits.supervised());
    let mut failed_child = None;
    if let Some(f) = failing {
        if f.propagate && propagate_to(&mut st, bits, f.name, f.error) {
            f.asked.push(Arc::clone(&parent));
        }
        failed_child = f.as_child(is_child);
    }
    // The rare cases, for a parent with a cold part: a child it counted as
    // not ready leaves it running (its start failed: the rollback that
    // raced the flag, see `ready`), or its last child leaves while someone
    // awaits `children_closed()`.
    let rare = if st.has_cold()
        && (bits.unready() && unready.is_some() || !st.cold().children_waiters.is_empty())
    {
        leave_rare(&mut st, bits, unready)
    } else {
        None
    };
    if last {
        p.inner.set_phase(CLOSED);
        let wake = waiting && release_wait(&mut st, failed_child);
        drop(st);
        if let Some(rare) = rare {
            rare.run(&parent, d);
        }
        if wake {
            d.advance.push(Process { inner: parent });
        }
        None
    } else {
        drop(st);
        if let Some(rare) = rare {
            rare.run(&parent, d);
        }
        waiting.then_some((parent, is_child))
    }
}

/// What a child leaving a parent with a cold part may leave to do.
struct LeftRare {
    rolled_back: Option<Cause>,
    children_gone: Vec<std::task::Waker>,
}

impl LeftRare {
    fn run(self, parent: &Arc<Inner>, d: &mut Driver) {
        self.children_gone
            .into_iter()
            .for_each(std::task::Waker::wake);
        if let Some(cause) = self.rolled_back {
            d.close
                .push((Process::from_inner(Arc::clone(parent)), cause));
        }
    }
}

#[cold]
#[inline(never)]
fn leave_rare(st: &mut State, bits: EdgeBits, unready: Option<&Name>) -> Option<LeftRare> {
    let rolled_back = match unready {
        Some(name) if bits.unready() => super::ready::start_failed_by(st, name),
        _ => None,
    };
    let children_gone = st.children_gone();
    (rolled_back.is_some() || !children_gone.is_empty()).then_some(LeftRare {
        rolled_back,
        children_gone,
    })
}

impl Finished {
    /// Leaves the parents' edge sets, marks the process Closed for every
    /// thread, wakes its waiters and releases its parents' waits.
    ///
    /// The process leaves every edge set before its phase says Closed
    /// (whoever sees it Closed sees it gone from every edge set), and the
    /// parents' waits are released only after (a parent can never be Closed
    /// while this process does not look Closed yet). The phase is stored
    /// under the last parent's lock, so that parent's wait is released in
    /// the same critical section: one lock per parent.
    fn announce(self, p: &Process, d: &mut Driver) {
        match self {
            Finished::Plain { parent, woken } => {
                if let Some((parent, key)) = parent {
                    leave(p, parent, key, true, None, None, d);
                }
                // Stored again if the parent was gone: a no-op otherwise.
                p.inner.set_phase(CLOSED);
                debug!(parent: p.inner.span(), "closed");
                woken.wake();
            }
            Finished::Full(full) => full.announce(p, d),
            Finished::Deferred { deliver } => {
                if deliver {
                    d.push_deliver(p.clone());
                }
            }
        }
    }
}

impl FinishedFull {
    /// [`Finished::announce`], with hooks, failures and events.
    #[inline(never)]
    fn announce(self, p: &Process, d: &mut Driver) {
        let inner = &p.inner;
        let FinishedFull {
            links,
            leftover,
            unready,
            outcome:
                Outcome {
                    result,
                    name,
                    propagate,
                    uncaught,
                },
            hooks,
            woken,
        } = self;
        drop_leftover_edges(p, leftover);
        // What it held is released before anyone can see it Closed.
        // In place: a process with hooks usually has one.
        let mut hooks = hooks;
        let mut i = 0;
        while i < hooks.len() {
            if hooks[i].0 == HookAt::Release {
                let (_, hook) = hooks.remove(i);
                hook();
            } else {
                i += 1;
            }
        }
        let mut failing = match (&name, &result) {
            (Some(name), Err(error)) => Some(Failing {
                name,
                error,
                propagate,
                asked: Vec::new(),
            }),
            _ => None,
        };
        let mut waits: Few<(Arc<Inner>, bool)> = Few::None;
        let last = links.len();
        for (i, link) in links.into_iter().enumerate() {
            let Some(parent) = link.parent.upgrade() else {
                continue;
            };
            let unready = unready.as_ref();
            if let Some(wait) = leave(
                p,
                parent,
                link.key,
                i + 1 == last,
                failing.as_mut(),
                unready,
                d,
            ) {
                waits.push(wait);
            }
        }
        // Stored again if the last parent was gone: a no-op otherwise.
        inner.set_phase(CLOSED);
        match &result {
            Ok(()) => debug!(parent: inner.span(), "closed"),
            Err(e) if uncaught => tracing::error!(
                parent: inner.span(),
                error = %e,
                "a failure that nobody took reached a root process"
            ),
            Err(e) => debug!(parent: inner.span(), error = %e, "closed with an error"),
        }
        woken.wake();
        if waits.len() > 0 {
            for (parent, is_child) in waits {
                let failed_child = failing.as_ref().and_then(|f| f.as_child(is_child));
                let wake = release_wait(&mut parent.lock(), failed_child);
                if wake {
                    d.advance.push(Process { inner: parent });
                }
            }
        }
        if !hooks.is_empty() {
            hooks.into_iter().for_each(|(_, hook)| hook());
        }
        if let Some(f) = failing.filter(|f| !f.asked.is_empty()) {
            for parent in f.asked {
                // Started here, before the failure climbs further (whose
                // closes would close this parent first, for another cause).
                let parent = Process { inner: parent };
                let cause = Cause::named(Why::ChildFailed, f.name.clone());
                begin_closing(&parent, cause, d);
                failed_by_child(&parent, f.name, f.error, d);
            }
        }
    }
}

/// Under a parent's lock: applies a failed child's `OnFailure::Propagate`
/// to the parent at the other end of its edge (of `kind`). A running parent
/// is closed by the failure, so it has failed too (its error lists the
/// failure: here for a no-wait child, which it does not wait for; a
/// waited-for child's is recorded when its wait is released). A parent
/// already closing for another cause only lists the failure: the failure
/// did not close it. Returns whether to ask the parent to close.
pub(super) fn propagate_to(st: &mut State, bits: EdgeBits, name: &Name, error: &Error) -> bool {
    let kind = bits.kind();
    if !kind.closes() || bits.supervised() || st.step.finished() {
        return false;
    }
    if kind == EdgeKind::ChildNoWait {
        record_failed_child(st, name.clone(), error.clone());
    }
    if st.step != Step::Running {
        return false;
    }
    st.cold_alloc().failed_by_child = true;
    true
}

/// Under the lock of a process that has finished: the edges it still has,
/// taken out. Every waited-for process has left by now (`pending == 0`);
/// what is left is what it does not wait for: no-wait children still
/// closing, and children detached by their budget.
fn take_leftover_edges(st: &mut State) -> Vec<(u32, Process)> {
    if st.edge_count() == 0 {
        return Vec::new();
    }
    st.take_all_edges()
}

/// Unlinks a finished process from the processes it still pointed at, so a
/// Closed process has no edge left, outgoing or incoming: they close on,
/// without it (their back-link to it goes, under their own lock).
fn drop_leftover_edges(p: &Process, leftover: Vec<(u32, Process)>) {
    if leftover.is_empty() {
        return;
    }
    for (key, target) in leftover {
        target.inner.lock().unlink_parent(&p.inner, key);
    }
}

/// Shows an optional value, or nothing.
struct DisplayOption<'a, T>(Option<&'a T>);

impl<T: std::fmt::Display> std::fmt::Display for DisplayOption<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(v) => v.fmt(f),
            None => Ok(()),
        }
    }
}

/// Releases one wait of a parent on a process that has closed, reporting
/// it as a failed child if it is one; true if the parent can take a step
/// now (its last wait is released, and it is closing or set to close when
/// idle: a running parent has nothing to do when a child leaves).
fn release_wait(st: &mut State, failed_child: Option<(&Name, &Error)>) -> bool {
    st.pending -= 1;
    if let Some((name, e)) = failed_child {
        record_failed_child(st, name.clone(), e.clone());
    }
    st.pending == 0 && (st.step != Step::Running || st.idle_close != Why::Running)
}

pub(super) fn record_failed_child(st: &mut State, name: Name, e: Error) {
    if st.step.finished() {
        return;
    }
    if st.cold().failed_children.len() < MAX_CHILD_ERRORS {
        st.cold_alloc()
            .failed_children
            .push(Error::child_entry(Shown::live(name), e));
    } else {
        st.cold_alloc().omitted_children += 1;
    }
}

/// The events of a process on their way to its subscribers, in the order
/// they happened, with the rest of its step 5 queued behind its last ones.
///
/// Events are queued under the process's lock, at the moment of what they
/// report, and delivered outside every lock, one at a time, by one thread
/// at a time: the thread that finds the outbox idle when it queues
/// something becomes its deliverer (`busy`) until it is empty. So each
/// subscriber sees each process's events in lifecycle order, whichever
/// threads they happened on; and since the rest of step 5 (leaving the
/// parents, the phase Closed, waking `closed()`) is delivered last,
/// `close()`, `closed()` and `err()` resolve only once every event of the
/// process, and so of its subtree, has been delivered.
pub(crate) struct Outbox {
    items: std::collections::VecDeque<Delivery>,
    busy: bool,
}

impl Outbox {
    pub(crate) const fn new() -> Outbox {
        Outbox {
            items: std::collections::VecDeque::new(),
            busy: false,
        }
    }

    /// Queues `item`; true if the caller is to deliver the outbox (it was
    /// idle): push the process on a [`Driver`]'s deliveries once the lock
    /// is released.
    pub(crate) fn push(&mut self, item: Delivery) -> bool {
        self.items.push_back(item);
        !std::mem::replace(&mut self.busy, true)
    }
}

/// One item of an [`Outbox`].
pub(crate) enum Delivery {
    /// `Closing`, whose cause is resolved (names read) outside the lock.
    Closing {
        observers: Observers,
        name: Name,
        cause: super::state::StoredCause,
    },
    Event {
        observers: Observers,
        event: Event,
    },
    /// The rest of step 5, after its last events.
    Finish(Outcome),
    /// Waiters to wake once the events before have been delivered.
    Wake(Vec<std::task::Waker>),
}

/// Delivers the next item of `p`'s outbox (this thread is its deliverer),
/// and comes back for the one after once the work it queued has run.
fn deliver_next(p: &Process, d: &mut Driver) {
    let item = {
        let mut st = p.inner.lock();
        let Some(cold) = st.cold_mut() else { return };
        match cold.outbox.items.pop_front() {
            Some(Delivery::Finish(outcome)) => {
                cold.outbox.busy = false;
                st.step = Step::Closed;
                let full = outcome.leave_locked(p.inner.id(), &mut st);
                drop(st);
                return full.announce(p, d);
            }
            Some(item) => item,
            None => {
                cold.outbox.busy = false;
                return;
            }
        }
    };
    match item {
        Delivery::Closing {
            observers,
            name,
            cause,
        } => {
            if let Some(cause) = cause.resolve() {
                deliver(
                    p,
                    &observers,
                    &Event::Closing {
                        process: ProcessRef(name),
                        cause,
                    },
                );
            }
        }
        Delivery::Event { observers, event } => deliver(p, &observers, &event),
        Delivery::Wake(wakers) => wakers.into_iter().for_each(std::task::Waker::wake),
        Delivery::Finish(_) => unreachable!("taken under the lock"),
    }
    d.push_deliver(p.clone());
}

/// Calls `p`'s subscribers with `event`, as code of `p`: a close awaited
/// there on `p`, or on a process that waits for it, is a wait for oneself
/// (started, and cut short), and a panic is caught by [`Observers::emit`].
fn deliver(p: &Process, observers: &Observers, event: &Event) {
    let _running = super::current::Running::enter(p.inner.id());
    observers.emit(event);
}
