//! The per-process state and the edge bookkeeping.
//!
//! # Invariants
//!
//! 1. `Inner::phase` only moves forward: `RUNNING` → `CLOSING` → `CLOSED`.
//!    It follows `State::step`: `CLOSING` is stored under the lock as the
//!    step leaves `Running`; `CLOSED` is stored last, after the result is
//!    stored and the process has left every parent's edge set, so a reader
//!    that sees `CLOSED` also sees both.
//! 2. Every edge `p → q` lives in exactly one place, `p.edges[key]`, and `q`
//!    holds the back-link `(p, key)` in `q.parents`. Only `q` removes the
//!    edge (when `q` closes, or when it refuses a link because it had
//!    already closed), so a key is never reused while its back-link lives.
//! 3. `State::pending` = the number of waiting edges in `edges` + 1 while a
//!    process function runs, + 1 for each waited-for process that has left
//!    `edges` but is not marked Closed yet (a closing process removes its
//!    edges first and its counts only after it is marked Closed). A process
//!    tears down only at `pending == 0` and fires Closed only once
//!    `pending == 0` again after the teardown, so a Closed process has no
//!    waiting edge left and every process it waited for is Closed, as seen
//!    by any thread.
//! 4. Parents hold their children strongly; children hold their parents
//!    weakly, so an abandoned tree is freed (it is not closed: dropping
//!    handles never tears anything down).
//!
//! # Lock order (deadlock safety)
//!
//! At most one process's state lock is held at any time. The only lock
//! that may be held while taking a state lock is the global graph lock
//! (`graph::GRAPH`), which serialises the cycle check with the insertion
//! of an edge between two existing processes. One exception, safe: a
//! process reports to its `Timeline` under its own lock (the timeline's
//! event list is a leaf lock: nothing is locked under it). Linking a fresh
//! child writes the child's state under its parent's lock without taking
//! the child's: nobody else can reach it yet. No user code (teardown,
//! process function, waker, closed hook) ever runs with a lock held.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, Weak};

use tokio_util::sync::CancellationToken;

use super::cause::Why;
use super::teardown::Teardown;
use crate::Process;
use crate::error::{ChildError, Error};
use crate::events::Observers;
use crate::name::Name;
#[cfg(goprocess_loom)]
use crate::sync::AtomicU8;
use crate::sync::{Mutex, MutexGuard};

#[cfg(goprocess_loom)]
pub(crate) const RUNNING: u8 = 0;
pub(crate) const CLOSING: u8 = 1;
/// Both bits: the phase only moves forward, so it is stored with an `or`.
pub(crate) const CLOSED: u8 = 3;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

pub(crate) fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// The shared part of a [`Process`].
pub(crate) struct Inner {
    /// The id, whether it is the background process, and the phase.
    word: Word,
    /// Boxed, and only when a subscriber wants it: most programs run with
    /// tracing off at debug level, and the span is 40 bytes.
    span: Option<Box<tracing::Span>>,
    state: Mutex<State>,
}

/// A process's id, its background flag and its phase (`RUNNING`,
/// `CLOSING` or `CLOSED`, readable without the lock) in one word: the id
/// shifted left by 3, the flag in bit 2, the phase in bits 0 and 1. Eight
/// bytes where three fields took sixteen.
#[cfg(not(goprocess_loom))]
struct Word(std::sync::atomic::AtomicU64);

#[cfg(not(goprocess_loom))]
impl Word {
    const BACKGROUND: u64 = 0b100;

    fn new(id: u64, background: bool) -> Word {
        let flag = if background { Word::BACKGROUND } else { 0 };
        Word(std::sync::atomic::AtomicU64::new(id << 3 | flag))
    }

    fn id(&self) -> u64 {
        self.0.load(Ordering::Relaxed) >> 3
    }

    fn background(&self) -> bool {
        self.0.load(Ordering::Relaxed) & Word::BACKGROUND != 0
    }

    fn phase(&self) -> u8 {
        (self.0.load(Ordering::Acquire) & 0b11) as u8
    }

    fn set_phase(&self, phase: u8) {
        // The phase only moves forward, and only the thread that closes a
        // process stores it: storing it again (step 5 may) needs no
        // read-modify-write.
        if (self.0.load(Ordering::Relaxed) & 0b11) as u8 != phase {
            self.0.fetch_or(u64::from(phase), Ordering::Release);
        }
    }
}

/// Under loom, separate fields: only the phase is shared state worth
/// exploring.
#[cfg(goprocess_loom)]
struct Word {
    id: u64,
    background: bool,
    phase: AtomicU8,
}

#[cfg(goprocess_loom)]
impl Word {
    fn new(id: u64, background: bool) -> Word {
        Word {
            id,
            background,
            phase: AtomicU8::new(RUNNING),
        }
    }

    fn id(&self) -> u64 {
        self.id
    }

    fn background(&self) -> bool {
        self.background
    }

    fn phase(&self) -> u8 {
        self.phase.load(Ordering::Acquire)
    }

    fn set_phase(&self, phase: u8) {
        self.phase.fetch_or(phase, Ordering::Release);
    }
}

impl Inner {
    #[inline(always)]
    pub(crate) fn new(id: u64, background: bool, span: tracing::Span, state: State) -> Inner {
        Inner {
            word: Word::new(id, background),
            span: (!span.is_none()).then(|| Box::new(span)),
            state: Mutex::new(state),
        }
    }

    pub(crate) fn id(&self) -> u64 {
        self.word.id()
    }

    /// The background process: never closes, relations on it are no-ops.
    pub(crate) fn is_background(&self) -> bool {
        self.word.background()
    }

    /// Moves the phase forward to `phase` (never back).
    pub(crate) fn set_phase(&self, phase: u8) {
        self.word.set_phase(phase);
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // No user code runs under the lock, so a poisoned lock only means a
        // panic inside this crate's own bookkeeping; its data is still
        // consistent at every unlock point.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The state of a process that no other thread can reach.
    pub(crate) fn state_mut(&mut self) -> &mut State {
        self.state.get_mut().unwrap_or_else(PoisonError::into_inner)
    }

    /// The process's span (a disabled one when tracing is off for it).
    pub(crate) fn span(&self) -> &tracing::Span {
        static NONE: tracing::Span = tracing::Span::none();
        self.span.as_deref().unwrap_or(&NONE)
    }

    pub(crate) fn phase(&self) -> u8 {
        self.word.phase()
    }
}

impl Drop for Inner {
    /// Frees an abandoned tree without recursion: a chain a million deep
    /// that is dropped unclosed must not overflow the stack.
    fn drop(&mut self) {
        let st = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        if st.edge_count() == 0 {
            return;
        }
        let mut orphans: Vec<Process> = st.take_all_targets();
        while let Some(p) = orphans.pop() {
            if let Ok(mut inner) = Arc::try_unwrap(p.inner) {
                let st = inner
                    .state
                    .get_mut()
                    .unwrap_or_else(PoisonError::into_inner);
                orphans.extend(st.take_all_targets());
            }
        }
    }
}

/// A moment as 8 bytes rather than an `Instant`'s 16: nanoseconds since a
/// process-wide epoch, plus one, on tokio's clock (so it follows a paused
/// test clock, and snapshots taken in paused-clock tests are
/// deterministic). 0 means "never": for when a process started closing,
/// which most processes never need read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp(u64);

impl Stamp {
    pub(crate) const NEVER: Stamp = Stamp(0);

    pub(crate) fn now() -> Stamp {
        static EPOCH: std::sync::OnceLock<tokio::time::Instant> = std::sync::OnceLock::new();
        // Well before the first stamp: a paused test clock starts where the
        // real one was when its runtime was built, which may be before the
        // first stamp of another runtime, and stamps must not saturate.
        let epoch = *EPOCH.get_or_init(|| {
            let now = tokio::time::Instant::now();
            [86_400, 3_600, 60, 1]
                .into_iter()
                .find_map(|secs| now.checked_sub(std::time::Duration::from_secs(secs)))
                .unwrap_or(now)
        });
        let since = tokio::time::Instant::now().saturating_duration_since(epoch);
        // u64 nanoseconds last 584 years; a paused test clock can go
        // further: such stamps all read as the last one.
        let nanos = u64::try_from(since.as_nanos()).unwrap_or(u64::MAX);
        Stamp(nanos.saturating_add(1))
    }

    /// How long before `now`, if it ever happened.
    pub(crate) fn elapsed_at(self, now: Stamp) -> Option<std::time::Duration> {
        (self != Stamp::NEVER)
            .then(|| std::time::Duration::from_nanos(now.0.saturating_sub(self.0)))
    }
}

/// Where a process is in its life. Finer than the public three states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Step {
    Running,
    /// Closing: children were told to close; waiting for `pending == 0`.
    Closing,
    /// The teardown is running (outside the lock).
    TearingDown,
    /// The teardown has returned; waiting for relations added meanwhile.
    TornDown,
    /// Its result is stored (relations are refused as on a Closed
    /// process); its last events are being delivered to its subscribers
    /// before it leaves its parents and is marked Closed.
    Finishing,
    Closed,
}

impl Step {
    /// Its result is stored: `Finishing` or `Closed`. Relations are
    /// refused, failures are no longer recorded.
    pub(crate) fn finished(self) -> bool {
        self >= Step::Finishing
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Step::Running => "running",
            // What it waits for is listed beside (reports, trees).
            Step::Closing => "closing",
            Step::TearingDown => "closing: running teardown",
            Step::TornDown => "closing: waiting for late relations",
            Step::Finishing => "closing: delivering its last events",
            Step::Closed => "closed",
        }
    }
}

pub(crate) struct State {
    pub(crate) step: Step,
    /// Its first outgoing edge (see `EDGE0`), its flags in `edge0_bits`.
    edge0: Option<Process>,
    edge0_bits: EdgeBits,
    /// Its further outgoing edges, allocated on the second one.
    edges: Option<Box<Slab<Edge>>>,
    pub(crate) pending: u32,
    /// The back-link to its first parent (the `Weak` here, the key in
    /// `parent_key`, to spare the padding of a `Link`); the others are in
    /// the cold part: almost every process has one parent. The `Weak` is
    /// kept once it has closed (`parent_key` is then `UNLINKED`): it names
    /// the parent that closed it.
    parent: Option<Weak<Inner>>,
    parent_key: u32,
    /// A teardown was ever installed (it may have run since).
    pub(crate) teardown_set: bool,
    /// Set by `close_after_children` (and when a `go` function returns):
    /// close as soon as `pending` reaches zero, for this reason
    /// (`Why::Running`: not set).
    pub(crate) idle_close: Why,
    /// Why it started closing (`Why::Running` while it runs).
    pub(crate) cause: Why,
    /// The process its cause names (the parent that closed it, the child
    /// that failed, the supervisor that restarted it).
    /// The `go` function has not returned yet (it counts in `pending`).
    pub(crate) function_running: bool,
    /// The task of the process function, for deadline escalation.
    /// (The `JoinHandle` itself: making an `AbortHandle` from it would cost
    /// a reference count round trip per process.)
    pub(crate) task: Option<tokio::task::JoinHandle<()>>,
    /// When it started closing ([`Stamp`]), or 0.
    pub(crate) closing_since: Stamp,
    /// The first who awaits `closing()` or `closed()` (see `waiters`);
    /// more wait in the cold part.
    pub(crate) waiter: Option<std::task::Waker>,
    /// The phase `waiter` waits for.
    pub(crate) waiter_target: u8,
    /// The fields most processes never set, allocated on first write.
    cold: Option<Box<Cold>>,
}

/// The rarely set part of a [`State`]: name, errors, budget, token,
/// observers, policy. Allocated on first write: read it with
/// [`State::cold`] (an unset part reads as `Cold::empty()`), write it with
/// [`State::cold_alloc`]; code on hot paths that only *may* write uses
/// [`State::cold_mut`], which does not allocate.
pub(crate) struct Cold {
    /// Its teardown until it runs: in the cold part, as few processes have
    /// one (and those usually have a name, which lives here too). Behind a
    /// lock of its own only to make the cold part `Sync` (a teardown is
    /// `Send` only): it is only ever used under the process's lock.
    teardown: std::sync::Mutex<Option<Teardown>>,
    /// The error it closed with; `None` while it is not Closed, or once it
    /// closed cleanly. Only a failed process has one, and it has a cold
    /// part already (for the failures it recorded).
    pub(crate) error: Option<Error>,
    /// Shared with the errors and timelines that show it.
    pub(crate) name: Option<Name>,
    /// When it was first named: where its age in snapshots starts. Only
    /// named processes have an age: a clock read costs a fifth of what a
    /// short-lived `go` child costs beyond a tokio task, and names are
    /// what snapshots are read by (almost every process that has one got
    /// it as it was made).
    pub(crate) named_at: Stamp,
    /// The name was given with `named` (not a struct's type or field name).
    pub(crate) name_given: bool,
    /// What its failure does to its parents.
    pub(crate) on_failure: super::OnFailure,
    /// `on_failure` was set on it (not inherited from a parent's
    /// `children_on_failure`): a parent's default does not override it.
    pub(crate) on_failure_set: bool,
    /// The failure policy its children take when linked, unless they set
    /// their own (`children_on_failure`), passed on down the tree.
    pub(crate) children_on_failure: Option<super::OnFailure>,
    /// Its result was taken (`close_and_take`): its failure is the
    /// caller's, not listed by its parents nor propagated.
    pub(crate) taken: bool,
    /// It was aborted on request (`abort`): an aborted function or task is
    /// no failure.
    pub(crate) aborted: bool,
    /// Who awaits `children_closed()`.
    pub(crate) children_waiters: Vec<std::task::Waker>,
    /// The process function's own failure (`go`).
    pub(crate) function_error: Option<Error>,
    pub(crate) teardown_error: Option<Error>,
    /// Its own close budget ran out (`deadline::overran`).
    pub(crate) timeout_error: Option<Error>,
    pub(crate) failed_children: Vec<ChildError>,
    pub(crate) omitted_children: usize,
    /// Handed out by `closing_token()`; cancelled when closing starts.
    pub(crate) closing_token: Option<CancellationToken>,
    /// What `context` keeps for it: its closed token, the tokens it
    /// closes after (see `context::Bridge`).
    pub(crate) context: Option<std::sync::Arc<crate::context::Bridge>>,
    /// The task of an async teardown while it runs, for deadline escalation.
    pub(crate) teardown_task: Option<crate::runtime::Task>,
    /// A close budget aborted its tasks: an `Aborted` end says so.
    pub(crate) escalated: bool,
    /// This process's own close budget, enforced from its first close.
    pub(crate) budget: Option<std::time::Duration>,
    /// What its teardown needs of a close budget (`teardown_reserve`).
    pub(crate) reserve: Option<std::time::Duration>,
    /// It closes under a close budget (its own, or an ancestor's): its sync
    /// teardown must not block a runtime's worker.
    pub(crate) budgeted: bool,
    pub(crate) escalation: super::deadline::Escalation,
    /// Crate-internal callbacks, run when the process starts closing or
    /// is Closed (outside every lock). Few processes have any.
    pub(crate) hooks: Hooks,
    /// The timelines and event subscribers it reports to, if any.
    pub(crate) observers: Option<Observers>,
    /// The process its cause names, when that one is kept by name (see
    /// `cause::By`).
    pub(crate) cause_name: Option<Name>,
    /// The parent that closed it, when it has several parents and that one
    /// is not the first.
    pub(crate) cause_by: Option<Weak<Inner>>,
    /// For `CloseCause::Signal`: the signal's name.
    pub(crate) signal: Option<Cow<'static, str>>,
    /// A child's failure propagated to it (`OnFailure::Propagate`): it has
    /// failed too.
    pub(crate) failed_by_child: bool,
    /// Its own failure has been propagated to its parents already (at its
    /// budget's overrun; not again when it is Closed).
    pub(crate) propagated: bool,
    /// For a supervisor: its restarts so far; for a run of a supervised
    /// child: the restarts of that child before this run.
    pub(crate) restarts: u64,
    /// The back-links to its parents after the first.
    pub(crate) more_parents: Vec<Link>,
    /// The waiters after the first (see `waiters`).
    pub(crate) more_waiters: Slab<super::waiters::Waiter>,
    /// The siblings it closes after, as a deferred child
    /// (`Process::add_child_after`), until its close starts: it waits for
    /// them as far as cycles are concerned.
    pub(crate) after: Vec<Process>,
    /// Its events on their way to its subscribers, in the order they
    /// happened (see `close::Delivery`).
    pub(crate) outbox: super::close::Outbox,
    /// Whether it is ready, and who waits for that (see `ready`).
    pub(crate) ready: super::ready::Readiness,
    /// Its close is about to begin (`Shutdown::drain_delay`): not ready
    /// for probes any more.
    pub(crate) draining: bool,
    /// For a supervisor: where its children are listed (snapshots and
    /// reports show them, with their state).
    pub(crate) supervisor: Option<crate::supervise::View>,
}

impl Cold {
    const fn empty() -> Cold {
        Cold {
            teardown: std::sync::Mutex::new(None),
            error: None,
            name: None,
            named_at: Stamp::NEVER,
            name_given: false,
            on_failure: super::OnFailure::Isolate,
            on_failure_set: false,
            children_on_failure: None,
            taken: false,
            aborted: false,
            children_waiters: Vec::new(),
            function_error: None,
            teardown_error: None,
            timeout_error: None,
            failed_children: Vec::new(),
            omitted_children: 0,
            closing_token: None,
            context: None,
            teardown_task: None,
            escalated: false,
            budget: None,
            reserve: None,
            budgeted: false,
            escalation: super::deadline::Escalation::Abort,
            hooks: Hooks(Vec::new()),
            observers: None,
            cause_name: None,
            cause_by: None,
            signal: None,
            failed_by_child: false,
            propagated: false,
            restarts: 0,
            after: Vec::new(),
            outbox: super::close::Outbox::new(),
            ready: super::ready::Readiness::new(),
            draining: false,
            supervisor: None,
            more_waiters: Slab::new(),
            more_parents: Vec::new(),
        }
    }
}

static EMPTY_COLD: Cold = Cold::empty();

/// A process's close cause read under its lock, to be shown once the lock
/// is released (showing it reads the name of the process it names).
#[derive(Clone)]
pub(crate) struct StoredCause {
    cause: super::cause::Cause,
    signal: Option<Cow<'static, str>>,
}

impl StoredCause {
    pub(crate) fn resolve(&self) -> Option<super::cause::CloseCause> {
        self.cause.resolve(self.signal.as_ref())
    }
}

/// Why a task of a process ended with `Aborted`: a budget's escalation,
/// or else the reason it gave (its runtime shut down).
pub(crate) fn aborted_why(st: &State, error: Error) -> Error {
    if error.kind() == crate::ErrorKind::Aborted && st.cold().escalated {
        Error::aborted("a close budget ran out")
    } else {
        error
    }
}

impl State {
    /// What a child linked under this process inherits of its failure
    /// policy (`children_on_failure`), if anything.
    pub(crate) fn children_policy(&self) -> Option<super::OnFailure> {
        self.cold.as_ref()?.children_on_failure
    }

    /// Takes on a parent's `children_on_failure`: its own policy, unless
    /// it set one, and its children's, unless it set one.
    pub(crate) fn inherit_policy(&mut self, policy: super::OnFailure) {
        let cold = self.cold_alloc();
        if !cold.on_failure_set {
            cold.on_failure = policy;
        }
        cold.children_on_failure.get_or_insert(policy);
    }

    /// Whether it has a child (or no-wait child) left, and the wakers of
    /// `children_closed()` to wake if it has none.
    pub(crate) fn children_gone(&mut self) -> Vec<std::task::Waker> {
        match self.cold_mut() {
            Some(cold) if !cold.children_waiters.is_empty() => {
                let left = self.edges().any(|e| e.kind().closes());
                if left {
                    Vec::new()
                } else {
                    std::mem::take(&mut self.cold_alloc().children_waiters)
                }
            }
            _ => Vec::new(),
        }
    }

    #[inline(always)]
    pub(crate) fn new(step: Step) -> State {
        State {
            step,
            edge0: None,
            edge0_bits: EdgeBits(0),
            edges: None,
            pending: 0,
            parent: None,
            parent_key: 0,
            teardown_set: false,
            idle_close: Why::Running,
            cause: Why::Running,
            function_running: false,
            task: None,
            closing_since: Stamp::NEVER,
            waiter: None,
            waiter_target: 0,
            cold: None,
        }
    }

    /// The cold part, to read: an empty one if it was never written
    /// (without allocating it).
    pub(crate) fn cold(&self) -> &Cold {
        self.cold.as_deref().unwrap_or(&EMPTY_COLD)
    }

    /// Whether the cold part was ever written.
    #[inline(always)]
    pub(crate) fn has_cold(&self) -> bool {
        self.cold.is_some()
    }

    /// The cold part if it was ever written, for code that may write it
    /// but should not allocate it just to find it empty.
    pub(crate) fn cold_mut(&mut self) -> Option<&mut Cold> {
        self.cold.as_deref_mut()
    }

    /// The cold part, to write: allocated on first use.
    pub(crate) fn cold_alloc(&mut self) -> &mut Cold {
        self.cold.get_or_insert_with(|| Box::new(Cold::empty()))
    }

    /// Adds a back-link to a parent.
    pub(crate) fn add_parent(&mut self, link: Link) {
        if self.parent.is_none() || self.parent_key == UNLINKED {
            self.parent = Some(link.parent);
            self.parent_key = link.key;
        } else {
            self.cold_alloc().more_parents.push(link);
        }
    }

    /// Removes and returns every back-link (when it closes). The first
    /// parent's `Weak` stays, for the close cause.
    pub(crate) fn take_parents(&mut self) -> Links {
        if self.parent_key == UNLINKED {
            return Links::None;
        }
        let Some(parent) = self.parent.clone() else {
            return Links::None;
        };
        let first = Link {
            parent,
            key: std::mem::replace(&mut self.parent_key, UNLINKED),
        };
        match self.cold_mut() {
            Some(cold) if !cold.more_parents.is_empty() => {
                let mut all = std::mem::take(&mut cold.more_parents);
                all.insert(0, first);
                Links::Many(all)
            }
            _ => Links::One(first),
        }
    }

    /// For a process without a cold part (so with one parent at most): its
    /// parent, if it is still linked and alive, and the key of its edge
    /// there. Unlinks it, keeping the `Weak` (as [`take_parents`](Self::take_parents)).
    pub(crate) fn take_only_parent(&mut self) -> Option<(Arc<Inner>, u32)> {
        debug_assert!(!self.has_cold(), "more parents live in the cold part");
        if self.parent_key == UNLINKED {
            return None;
        }
        let key = std::mem::replace(&mut self.parent_key, UNLINKED);
        Some((self.parent.as_ref()?.upgrade()?, key))
    }

    /// Its back-links: each parent, and the key of its edge there.
    pub(crate) fn parent_links(&self) -> impl Iterator<Item = (&Weak<Inner>, u32)> {
        let first = (self.parent_key != UNLINKED)
            .then_some(self.parent.as_ref())
            .flatten()
            .map(|p| (p, self.parent_key));
        let more = self.cold().more_parents.iter().map(|l| (&l.parent, l.key));
        first.into_iter().chain(more)
    }

    /// Sets its teardown.
    pub(crate) fn put_teardown(&mut self, tf: Teardown) {
        *self
            .cold_alloc()
            .teardown
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner) = Some(tf);
    }

    /// Takes its teardown, if it has one (to run it).
    pub(crate) fn take_teardown(&mut self) -> Option<Teardown> {
        self.cold_mut()?
            .teardown
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// The processes it waits for, as far as cycles are concerned: the
    /// targets of its waiting edges, and the siblings a deferred child
    /// closes after.
    pub(crate) fn waits_on(&self) -> impl Iterator<Item = Process> + '_ {
        self.targets(|e| e.waiting())
            .chain(self.cold.iter().flat_map(|c| c.after.iter().cloned()))
    }

    /// The targets of the edges that `keep` selects.
    pub(crate) fn targets<'a>(
        &'a self,
        keep: impl Fn(&EdgeRef<'_>) -> bool + 'a,
    ) -> impl Iterator<Item = Process> + 'a {
        self.edges()
            .filter(move |e| keep(e))
            .map(|e| e.target.clone())
    }

    /// Reports `kind` to this process's timelines, if it has any.
    #[inline(always)]
    pub(crate) fn record(&mut self, id: u64, kind: crate::introspect::TimelineEventKind) {
        if self.cold.is_some() {
            self.record_observed(id, kind);
        }
    }

    #[inline(never)]
    fn record_observed(&mut self, id: u64, kind: crate::introspect::TimelineEventKind) {
        let Some(cold) = &self.cold else { return };
        let Some(observers) = cold.observers.as_ref().filter(|o| o.has_timelines()) else {
            return;
        };
        let observers = observers.clone();
        let cause = match kind {
            crate::introspect::TimelineEventKind::Closing => Some(self.cause_stored()),
            _ => None,
        };
        let name = self.name_ref(id);
        let restarts = self.cold().restarts;
        for t in observers.timelines() {
            t.record(id, name.clone(), kind, cause.clone(), restarts);
        }
    }

    /// The observers to tell about an event, if any subscribes to events.
    pub(crate) fn subscribers(&self) -> Option<Observers> {
        let observers = self.cold.as_ref()?.observers.as_ref()?;
        observers.has_hooks().then(|| observers.clone())
    }

    /// Why it closed, as stored: resolve it with
    /// [`StoredCause::resolve`] once the lock is released.
    pub(crate) fn cause_stored(&self) -> StoredCause {
        StoredCause {
            cause: super::cause::Cause {
                budgeted: false,
                why: self.cause,
                by: match (&self.cold().cause_by, &self.cold().cause_name) {
                    (_, Some(name)) => Some(super::cause::By::Named(name.clone())),
                    (Some(weak), None) => Some(super::cause::By::Process(weak.clone())),
                    // A parent that is not named in the cold part is the
                    // first (or only) parent: its back-link is kept.
                    (None, None) if self.cause == Why::Parent => {
                        self.parent.clone().map(super::cause::By::Process)
                    }
                    (None, None) => None,
                },
            },
            signal: self.cold().signal.clone(),
        }
    }

    /// The name given to the process, if any.
    pub(crate) fn name(&self) -> Option<Cow<'static, str>> {
        self.cold.as_ref()?.name.as_ref()?.get()
    }

    pub(crate) fn set_name(&mut self, id: u64, text: Cow<'static, str>) {
        let cold = self.cold_alloc();
        match &cold.name {
            Some(name) => name.set(text),
            None => cold.name = Some(Name::new(id, Some(text))),
        }
        if cold.named_at == Stamp::NEVER {
            cold.named_at = Stamp::now();
        }
    }

    /// The process's name as something that shows it later: read when
    /// shown, so a name given after this call still shows.
    pub(crate) fn name_ref(&mut self, id: u64) -> Name {
        self.cold_alloc()
            .name
            .get_or_insert_with(|| Name::new(id, None))
            .clone()
    }

    pub(crate) fn display_name(&self, id: u64) -> Cow<'static, str> {
        self.name().unwrap_or_else(|| Cow::Owned(format!("#{id}")))
    }
}

/// The flags of an edge, in one byte: its kind (bits 0-1) and
///
/// - `DEFERRED`: a child whose close is started by something else than its
///   parent's closing (`Process::add_child_after`, a supervised run): the
///   parent waits for it, but step 2 of the parent's close skips it;
/// - `WAITING`: counted in the owner's `pending`: set for waiting kinds
///   until the target overran its close budget and was detached;
/// - `SUPERVISED`: a run of a supervised child: its failures are its
///   supervisor's to handle (restart), not recorded in the owner's error
///   nor propagated;
/// - `UNREADY`: the target, a child, is not ready, and the owner counts it
///   among what its own readiness waits for (see `ready`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EdgeBits(u8);

impl EdgeBits {
    const DEFERRED: u8 = 0b100;
    const WAITING: u8 = 0b1000;
    const SUPERVISED: u8 = 0b1_0000;
    const UNREADY: u8 = 0b10_0000;

    pub(crate) fn new(kind: EdgeKind, deferred: bool, supervised: bool) -> EdgeBits {
        let kind = match kind {
            EdgeKind::Child => 0,
            EdgeKind::ChildNoWait => 1,
            EdgeKind::WaitFor => 2,
        };
        let mut bits = kind;
        if deferred {
            bits |= EdgeBits::DEFERRED;
        }
        if supervised {
            bits |= EdgeBits::SUPERVISED;
        }
        let mut bits = EdgeBits(bits);
        bits.set_waiting(bits.kind().waits());
        bits
    }

    pub(crate) fn kind(self) -> EdgeKind {
        match self.0 & 0b11 {
            0 => EdgeKind::Child,
            1 => EdgeKind::ChildNoWait,
            _ => EdgeKind::WaitFor,
        }
    }

    pub(crate) fn deferred(self) -> bool {
        self.0 & EdgeBits::DEFERRED != 0
    }

    pub(crate) fn waiting(self) -> bool {
        self.0 & EdgeBits::WAITING != 0
    }

    pub(crate) fn supervised(self) -> bool {
        self.0 & EdgeBits::SUPERVISED != 0
    }

    /// A readiness link: the owner is ready only once the target is (a
    /// child, but not a no-wait one, nor a supervised run).
    pub(crate) fn readiness(self) -> bool {
        self.kind() == EdgeKind::Child && !self.supervised()
    }

    pub(crate) fn unready(self) -> bool {
        self.0 & EdgeBits::UNREADY != 0
    }

    pub(crate) fn set_unready(&mut self, unready: bool) {
        if unready {
            self.0 |= EdgeBits::UNREADY;
        } else {
            self.0 &= !EdgeBits::UNREADY;
        }
    }

    pub(crate) fn set_waiting(&mut self, waiting: bool) {
        if waiting {
            self.0 |= EdgeBits::WAITING;
        } else {
            self.0 &= !EdgeBits::WAITING;
        }
    }
}

/// An outgoing edge `p → target`, owned (as the edge set's slab stores it,
/// and as it is removed).
pub(crate) struct Edge {
    pub(crate) target: Process,
    pub(crate) bits: EdgeBits,
}

/// An outgoing edge, as the edge set lists it.
#[derive(Clone, Copy)]
pub(crate) struct EdgeRef<'a> {
    pub(crate) target: &'a Process,
    pub(crate) bits: EdgeBits,
}

impl EdgeRef<'_> {
    pub(crate) fn kind(&self) -> EdgeKind {
        self.bits.kind()
    }
    pub(crate) fn deferred(&self) -> bool {
        self.bits.deferred()
    }
    pub(crate) fn waiting(&self) -> bool {
        self.bits.waiting()
    }
}

/// The key of the first edge, which lives in the process's state
/// (`State::edge0`, its flags in `State::edge0_bits`): most processes
/// have no child or one. More go into a slab, allocated on the second
/// edge; slab key `k` is `k + 1`.
const EDGE0: u32 = 0;

impl State {
    pub(crate) fn edge_count(&self) -> usize {
        usize::from(self.edge0.is_some()) + self.edges.as_ref().map_or(0, |s| s.len())
    }

    /// The key the next [`insert_edge`](Self::insert_edge) will return.
    pub(crate) fn next_edge_key(&self) -> u32 {
        if self.edge0.is_none() {
            EDGE0
        } else {
            self.edges.as_ref().map_or(0, |s| s.next_key()) + 1
        }
    }

    pub(crate) fn insert_edge(&mut self, target: Process, bits: EdgeBits) -> u32 {
        if self.edge0.is_none() {
            self.edge0 = Some(target);
            self.edge0_bits = bits;
            return EDGE0;
        }
        self.edges
            .get_or_insert_default()
            .insert(Edge { target, bits })
            + 1
    }

    pub(crate) fn remove_edge(&mut self, key: u32) -> Option<Edge> {
        match key {
            EDGE0 => self.edge0.take().map(|target| Edge {
                target,
                bits: self.edge0_bits,
            }),
            k => self.edges.as_mut()?.remove(k - 1),
        }
    }

    /// The flags of the edge `key`, if it points at `target` (a key read
    /// earlier may have been freed and reused since).
    pub(crate) fn edge_bits_mut(&mut self, key: u32, target: &Process) -> Option<&mut EdgeBits> {
        match key {
            EDGE0 => (self.edge0.as_ref() == Some(target)).then_some(&mut self.edge0_bits),
            k => {
                let edge = self.edges.as_mut()?.get_mut(k - 1)?;
                (edge.target == *target).then_some(&mut edge.bits)
            }
        }
    }

    /// Its outgoing edges.
    pub(crate) fn edges(&self) -> impl Iterator<Item = EdgeRef<'_>> {
        let first = self.edge0.as_ref().map(|target| EdgeRef {
            target,
            bits: self.edge0_bits,
        });
        let more = self.edges.iter().flat_map(|s| s.iter()).map(|e| EdgeRef {
            target: &e.target,
            bits: e.bits,
        });
        first.into_iter().chain(more)
    }

    /// Removes every edge, returning their keys and targets.
    pub(crate) fn take_all_edges(&mut self) -> Vec<(u32, Process)> {
        let mut all: Vec<(u32, Process)> =
            self.edge0.take().map(|t| (EDGE0, t)).into_iter().collect();
        if let Some(mut slab) = self.edges.take() {
            all.extend(slab.take_all_keyed().map(|(k, e)| (k + 1, e.target)));
        }
        all
    }

    /// Removes the back-link to `parent`'s edge `key`, if it is here (the
    /// parent has finished and drops the edges it still had).
    pub(crate) fn unlink_parent(&mut self, parent: &Arc<Inner>, key: u32) {
        let is = |weak: &Weak<Inner>| std::ptr::eq(weak.as_ptr(), Arc::as_ptr(parent));
        if self.parent_key == key && self.parent.as_ref().is_some_and(is) {
            // The `Weak` stays, as when it leaves: it may name the parent
            // that closed it.
            self.parent_key = UNLINKED;
            let closed_by_it = self.cause == super::cause::Why::Parent;
            let first = self.parent.clone();
            let Some(cold) = self.cold.as_deref_mut() else {
                return;
            };
            if cold.more_parents.is_empty() {
                return;
            }
            let next = cold.more_parents.remove(0);
            if closed_by_it && cold.cause_by.is_none() {
                cold.cause_by = first;
            }
            self.parent = Some(next.parent);
            self.parent_key = next.key;
        } else if let Some(cold) = self.cold_mut() {
            cold.more_parents
                .retain(|l| !(l.key == key && is(&l.parent)));
        }
    }

    /// Removes every edge, returning their targets.
    fn take_all_targets(&mut self) -> Vec<Process> {
        let mut all: Vec<Process> = self.edge0.take().into_iter().collect();
        if let Some(mut slab) = self.edges.take() {
            all.extend(slab.take_all().map(|e| e.target));
        }
        all
    }
}

/// A crate-internal callback (see `Process::on_closed`).
pub(crate) type Hook = Box<dyn FnOnce() + Send + Sync>;

/// The crate-internal hooks of a process (in its cold part).
pub(crate) struct Hooks(Vec<(HookAt, Hook)>);

impl Hooks {
    pub(crate) fn push(&mut self, hook: (HookAt, Hook)) {
        self.0.push(hook);
    }

    /// Removes and returns every hook.
    pub(crate) fn take(&mut self) -> Vec<(HookAt, Hook)> {
        std::mem::take(&mut self.0)
    }

    /// Removes and returns the hooks that run at `at`, in the order they
    /// were added; allocates nothing when there is none.
    pub(crate) fn take_at(&mut self, at: HookAt) -> Vec<Hook> {
        if !self.0.iter().any(|(when, _)| *when == at) {
            return Vec::new();
        }
        self.0
            .extract_if(.., |(when, _)| *when == at)
            .map(|(_, f)| f)
            .collect()
    }
}

/// When a crate-internal hook runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HookAt {
    Closing,
    /// Closed, before the phase says so: releases what the process held.
    Release,
    /// Closed, after `closed()` waiters are woken: notifications.
    Closed,
    /// Closed, or detached from its parents by its budget, whichever
    /// comes first: nobody waits for it any more.
    Left,
}

/// The three relations between processes (Go's `AddChild`, `AddChildNoWait`, `WaitFor`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// `add_child`: closed with the parent, and the parent waits for it.
    Child,
    /// `add_child_no_wait`: closed with the parent, not waited for.
    ChildNoWait,
    /// `wait_for`: waited for, never closed by the waiter.
    WaitFor,
}

impl EdgeKind {
    /// Whether the owner's close closes the target (step 2).
    pub(crate) fn closes(self) -> bool {
        matches!(self, EdgeKind::Child | EdgeKind::ChildNoWait)
    }
    pub(crate) fn waits(self) -> bool {
        matches!(self, EdgeKind::Child | EdgeKind::WaitFor)
    }
}

/// `State::parent_key` of a process that has left its parents.
const UNLINKED: u32 = u32::MAX;

/// A back-link: `parent.edges[key]` points at this process.
pub(crate) struct Link {
    pub(crate) parent: Weak<Inner>,
    pub(crate) key: u32,
}

/// The back-links of a process. Almost every process has exactly one
/// parent, so that case needs no allocation.
pub(crate) type Links = Few<Link>;

/// Zero, one or many values, without allocating for zero or one.
#[derive(Default)]
pub(crate) enum Few<T> {
    #[default]
    None,
    One(T),
    Many(Vec<T>),
}

impl<T> Few<T> {
    pub(crate) fn push(&mut self, value: T) {
        match self {
            Few::None => *self = Few::One(value),
            Few::Many(v) => v.push(value),
            Few::One(_) => {
                if let Few::One(first) = std::mem::take(self) {
                    *self = Few::Many(vec![first, value]);
                }
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Few::None => 0,
            Few::One(_) => 1,
            Few::Many(v) => v.len(),
        }
    }
}

impl<T> IntoIterator for Few<T> {
    type Item = T;
    type IntoIter = std::iter::Chain<std::option::IntoIter<T>, std::vec::IntoIter<T>>;

    /// Without allocating in the zero and one cases.
    fn into_iter(self) -> Self::IntoIter {
        let (one, many) = match self {
            Few::None => (None, Vec::new()),
            Few::One(l) => (Some(l), Vec::new()),
            Few::Many(v) => (None, v),
        };
        one.into_iter().chain(many)
    }
}

/// A minimal slab: stable `u32` keys, O(1) insert and remove, and it gives
/// its memory back when it empties (a parent that once had a million
/// children alive at once does not keep room for them for ever).
pub(crate) struct Slab<T> {
    entries: Vec<Entry<T>>,
    free: u32,
    len: u32,
}

enum Entry<T> {
    Occupied(T),
    Vacant(u32),
}

const NO_FREE: u32 = u32::MAX;

impl<T> Default for Slab<T> {
    fn default() -> Slab<T> {
        Slab::new()
    }
}

impl<T> Slab<T> {
    pub(crate) const fn new() -> Slab<T> {
        Slab {
            entries: Vec::new(),
            free: NO_FREE,
            len: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }

    /// The key the next [`insert`](Self::insert) will return.
    pub(crate) fn next_key(&self) -> u32 {
        if self.free != NO_FREE {
            self.free
        } else {
            u32::try_from(self.entries.len()).expect("more than 4 billion edges")
        }
    }

    pub(crate) fn insert(&mut self, value: T) -> u32 {
        self.len += 1;
        if self.free != NO_FREE {
            let key = self.free;
            let slot = &mut self.entries[key as usize];
            self.free = match slot {
                Entry::Vacant(next) => *next,
                Entry::Occupied(_) => unreachable!("free list points at an occupied slot"),
            };
            *slot = Entry::Occupied(value);
            key
        } else {
            let key = u32::try_from(self.entries.len()).expect("more than 4 billion edges");
            self.entries.push(Entry::Occupied(value));
            key
        }
    }

    pub(crate) fn remove(&mut self, key: u32) -> Option<T> {
        let slot = self.entries.get_mut(key as usize)?;
        if matches!(slot, Entry::Vacant(_)) {
            return None;
        }
        let Entry::Occupied(value) = std::mem::replace(slot, Entry::Vacant(self.free)) else {
            unreachable!()
        };
        self.free = key;
        self.len -= 1;
        if self.len == 0 {
            self.free = NO_FREE;
            if self.entries.capacity() > 64 {
                self.entries = Vec::new();
            } else {
                self.entries.clear();
            }
        }
        Some(value)
    }

    pub(crate) fn get_mut(&mut self, key: u32) -> Option<&mut T> {
        match self.entries.get_mut(key as usize) {
            Some(Entry::Occupied(v)) => Some(v),
            _ => None,
        }
    }

    /// Removes every value, with its key.
    pub(crate) fn take_all_keyed(&mut self) -> impl Iterator<Item = (u32, T)> {
        self.free = NO_FREE;
        self.len = 0;
        std::mem::take(&mut self.entries)
            .into_iter()
            .enumerate()
            .filter_map(|(k, e)| match e {
                Entry::Occupied(v) => Some((k as u32, v)),
                Entry::Vacant(_) => None,
            })
    }

    /// Removes every value.
    pub(crate) fn take_all(&mut self) -> impl Iterator<Item = T> {
        self.free = NO_FREE;
        self.len = 0;
        std::mem::take(&mut self.entries)
            .into_iter()
            .filter_map(|e| match e {
                Entry::Occupied(v) => Some(v),
                Entry::Vacant(_) => None,
            })
    }

    /// Removes and returns the values that `pred` selects.
    pub(crate) fn remove_where(&mut self, mut pred: impl FnMut(&T) -> bool) -> Vec<T> {
        let mut removed = Vec::new();
        let mut key = 0;
        // `remove` empties `entries` when the last value goes.
        while let Some(entry) = self.entries.get(key as usize) {
            if matches!(entry, Entry::Occupied(v) if pred(v)) {
                removed.extend(self.remove(key));
            }
            key += 1;
        }
        removed
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Occupied(v) => Some(v),
            Entry::Vacant(_) => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slab_remove_where_takes_exactly_the_selected_values() {
        let mut s = Slab::new();
        let keys: Vec<u32> = (0..6).map(|i| s.insert(i)).collect();
        s.remove(keys[1]);
        let mut odd = s.remove_where(|v| v % 2 == 1);
        odd.sort();
        assert_eq!(odd, [3, 5]);
        assert_eq!(s.iter().copied().collect::<Vec<_>>(), [0, 2, 4]);
        assert_eq!(s.len(), 3);
        assert_eq!(s.remove_where(|_| true).len(), 3);
        assert_eq!(s.len(), 0);
        assert!(s.entries.is_empty(), "emptied by remove_where too");
        assert_eq!(s.next_key(), s.insert(7), "next_key predicts insert");
    }

    #[test]
    fn slab_reuses_keys_and_releases_memory() {
        let mut s = Slab::new();
        let a = s.insert("a");
        let b = s.insert("b");
        assert_eq!(s.remove(a), Some("a"));
        assert_eq!(s.remove(a), None);
        let c = s.insert("c");
        assert_eq!(c, a, "a freed key is reused first");
        assert_eq!(s.iter().copied().collect::<Vec<_>>(), ["c", "b"]);
        let _ = b;
        assert_eq!(s.len(), 2);
        for _ in 0..1000 {
            s.insert("x");
        }
        let keys: Vec<u32> = (0..1002).collect();
        for k in keys {
            s.remove(k);
        }
        assert_eq!(s.len(), 0);
        assert_eq!(
            s.entries.capacity(),
            0,
            "an emptied slab gives its memory back"
        );
    }
}
#[cfg(all(test, target_pointer_width = "64"))]
mod size {
    /// Every process is one allocation of an `Inner`: keep it small (the
    /// benchmarks compare bytes per idle process with a child token's).
    #[test]
    fn a_process_stays_small() {
        let size = std::mem::size_of::<super::Inner>();
        assert!(
            size <= 104,
            "Inner grew to {size} bytes; move rarely used fields to `Cold`"
        );
    }
}
