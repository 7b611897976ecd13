//! Readiness: whether a process, and every part its start waits for, is
//! up.
//!
//! A process is ready once it is ready itself (at once, unless it declared
//! that it signals readiness: then once it calls `set_ready`) and every
//! child it waits for through a *readiness link* (a child edge: `add_child`,
//! `with_parent`, `go`, a `#[child]` field; not a no-wait child, a
//! `wait_for` target or a supervised run) is ready.
//!
//! # Invariants
//!
//! 1. `Readiness::unready` of a process = 1 while it signals readiness and
//!    has not yet (`self_pending`) + the number of its edges flagged
//!    `UNREADY`. It is ready when that is 0. A plain process has no cold
//!    part, so reads 0 and pays nothing.
//! 2. A child edge is flagged `UNREADY` exactly when its target is not
//!    ready, for every owner that is still running: a change of a
//!    process's readiness is carried to its parents' edges, and an edge
//!    made to a process that is not ready is flagged, under the global
//!    `READY` lock, which serialises every such change. The flags and
//!    counts of a closing process are frozen: its readiness was decided
//!    when its close began.
//! 3. A process that starts closing while not ready has failed to start:
//!    every parent that counts it (so is not ready either, and runs) is
//!    closed with the cause `StartFailed` (rollback), and so on up, since
//!    each of them starts closing while not ready in turn. A counted child
//!    that leaves a running parent does the same (the safety net for a
//!    rollback that raced the flag).
//!
//! # Lock order
//!
//! `READY`, then one process lock at a time (as `graph::GRAPH`). Nothing
//! on the paths of a process that never declared readiness takes it: a
//! fresh child is ready, and a link checks the child's count under the
//! child's lock before it looks further.

use std::future::Future;
use std::pin::Pin;
use std::sync::PoisonError;
use std::task::{Context, Poll, Waker};

use super::cause::{Cause, Why};
use super::state::{Slab, Stamp, State, Step};
use super::{Driver, Process};
use crate::error::{Error, ErrorKind};
use crate::events::Event;
use crate::introspect::TimelineEventKind;
use crate::name::Shown;
use crate::sync::Mutex;

#[cfg(not(goprocess_loom))]
static READY: Mutex<()> = Mutex::new(());
#[cfg(goprocess_loom)]
loom::lazy_static! {
    static ref READY: Mutex<()> = Mutex::new(());
}

fn serialised() -> crate::sync::MutexGuard<'static, ()> {
    READY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The readiness of one process (in its cold part).
pub(crate) struct Readiness {
    /// It signals readiness itself, and has not yet.
    pub(crate) self_pending: bool,
    /// What its own readiness waits for, in reports: `set_ready()` by
    /// default, `#[init]` for a struct.
    pub(crate) awaits: &'static str,
    /// See invariant 1.
    pub(crate) unready: u32,
    /// It started closing while not ready: `ready()` is an error.
    pub(crate) failed: bool,
    /// When it last became not ready (for snapshots and reports).
    pub(crate) since: Stamp,
    /// The failure of its start: its own, or the part's that rolled it
    /// back. One of its own failures, in its result.
    pub(crate) start_error: Option<Error>,
    /// A prepared `#[process]` struct: what starts it (see [`prepare`]).
    launch: Option<Launch>,
    waiters: Slab<Waker>,
}

/// What starts a prepared process, given that process.
pub(crate) type Launch = Box<dyn FnOnce(&Process) + Send + Sync>;

impl Readiness {
    /// Its `ready()` waiters, taken (to wake them).
    pub(crate) fn take_waiters(&mut self) -> Vec<Waker> {
        if self.waiters.len() == 0 {
            return Vec::new();
        }
        self.waiters.take_all().collect()
    }

    pub(crate) const fn new() -> Readiness {
        Readiness {
            self_pending: false,
            awaits: "set_ready()",
            unready: 0,
            failed: false,
            since: Stamp::NEVER,
            start_error: None,
            launch: None,
            waiters: Slab::new(),
        }
    }
}

/// Whether the process whose state this is, is ready.
pub(crate) fn is_ready(st: &State) -> bool {
    st.cold().ready.unready == 0
}

/// What a change of readiness leaves to do once the locks are released.
#[derive(Default)]
struct After {
    wakers: Vec<Waker>,
}

impl After {
    fn run(self) {
        self.wakers.into_iter().for_each(Waker::wake);
    }
}

/// Changes the count of `p` (under its lock) by `delta`; true if its
/// readiness flipped, which its parents are then to hear about.
fn count(p: &Process, st: &mut State, delta: i32, after: &mut After, d: &mut Driver) -> bool {
    let was_ready = is_ready(st);
    let ready = &mut st.cold_alloc().ready;
    ready.unready = ready.unready.saturating_add_signed(delta);
    let now_ready = ready.unready == 0;
    if was_ready == now_ready {
        return false;
    }
    if now_ready {
        st.record(p.inner.id(), TimelineEventKind::Ready);
        became_ready(p, st, after, d);
    } else {
        st.cold_alloc().ready.since = Stamp::now();
        st.record(p.inner.id(), TimelineEventKind::Starting);
    }
    true
}

/// Under `p`'s lock: it is ready now.
fn became_ready(p: &Process, st: &mut State, after: &mut After, d: &mut Driver) {
    let waiters = st.cold_alloc().ready.take_waiters();
    tracing::debug!(parent: p.inner.span(), "ready");
    let Some(observers) = st.subscribers() else {
        after.wakers.extend(waiters);
        return;
    };
    // Its `ready()` waiters wake once its subscribers have heard it.
    let event = Event::Ready {
        process: super::ProcessRef(st.name_ref(p.inner.id())),
    };
    let outbox = &mut st.cold_alloc().outbox;
    let mut deliver = outbox.push(super::close::Delivery::Event { observers, event });
    if !waiters.is_empty() {
        deliver |= outbox.push(super::close::Delivery::Wake(waiters));
    }
    if deliver {
        d.push_deliver(p.clone());
    }
}

/// Carries the readiness of each process of `changed` to its parents'
/// edges, and on up as long as a parent's readiness flips. Under `READY`.
fn carry(mut changed: Vec<Process>, after: &mut After, d: &mut Driver) {
    while let Some(c) = changed.pop() {
        let (unready, links) = {
            let st = c.inner.lock();
            // Almost always one parent: no allocation for it.
            let mut links = super::state::Few::None;
            for (parent, key) in st.parent_links() {
                links.push((parent.clone(), key));
            }
            (!is_ready(&st), links)
        };
        for (parent, key) in links {
            let Some(parent) = parent.upgrade() else {
                continue;
            };
            let p = Process::from_inner(parent);
            let mut st = p.inner.lock();
            if st.step != Step::Running {
                continue; // frozen: its readiness was decided when it began closing
            }
            let Some(bits) = st.edge_bits_mut(key, &c) else {
                continue;
            };
            if !bits.readiness() || bits.unready() == unready {
                continue;
            }
            bits.set_unready(unready);
            if count(&p, &mut st, if unready { 1 } else { -1 }, after, d) {
                drop(st);
                changed.push(p);
            }
        }
    }
}

/// Marks `p` as a process that signals its readiness itself: not ready
/// until [`set`]. `awaits` names what it waits for, in reports. A flip to
/// not ready wakes and delivers nothing, so a caller may hold a lock of
/// its own (ordered before `READY`) around it.
pub(crate) fn declare(p: &Process, awaits: &'static str) {
    if p.is_background() {
        return;
    }
    let mut after = After::default();
    let mut d = Driver::default();
    {
        let _ready = serialised();
        let flipped = {
            let mut st = p.inner.lock();
            if st.step != Step::Running || st.cold().ready.self_pending {
                return;
            }
            let ready = &mut st.cold_alloc().ready;
            ready.self_pending = true;
            ready.awaits = awaits;
            count(p, &mut st, 1, &mut after, &mut d)
        };
        if flipped {
            carry(vec![p.clone()], &mut after, &mut d);
        }
    }
    after.run();
    d.run();
}

/// Keeps `launch` in `p`, a process not ready until it is launched (a
/// prepared `#[process]` struct, declared with [`declare`]): the struct
/// that adopts it as a field, or `Handle::launch`, starts it with
/// [`launch`]. Nothing once `p` is closing (`launch` is dropped).
pub(crate) fn prepare(p: &Process, launch: Launch) {
    let mut st = p.inner.lock();
    if st.step == Step::Running && !p.is_background() {
        st.cold_alloc().ready.launch = Some(launch);
    }
}

/// Whether `p` is prepared and not launched yet.
pub(crate) fn is_prepared(p: &Process) -> bool {
    let st = p.inner.lock();
    st.step == Step::Running && st.cold().ready.launch.is_some()
}

/// Starts `p` if it is prepared and not launched yet, running what
/// [`prepare`] kept outside the lock; `false` otherwise (launched already,
/// never prepared, or closing: a process that closes unlaunched never
/// runs).
pub(crate) fn launch(p: &Process) -> bool {
    let launch = {
        let mut st = p.inner.lock();
        if st.step != Step::Running || !st.has_cold() {
            return false;
        }
        st.cold_alloc().ready.launch.take()
    };
    match launch {
        Some(launch) => {
            launch(p);
            true
        }
        None => false,
    }
}

/// What `p`'s own readiness now waits for, in reports (a prepared struct
/// once launched: its `#[init]`).
pub(crate) fn awaiting(p: &Process, awaits: &'static str) {
    let mut st = p.inner.lock();
    if st.step == Step::Running && st.cold().ready.self_pending {
        st.cold_alloc().ready.awaits = awaits;
    }
}

/// [`declare`] for a process that nobody else can reach yet (before its
/// first link): no lock, nobody counts it yet.
pub(crate) fn declare_fresh(st: &mut State, awaits: &'static str) {
    let ready = &mut st.cold_alloc().ready;
    ready.self_pending = true;
    ready.awaits = awaits;
    ready.unready = 1;
    ready.since = Stamp::now();
}

/// `p` is ready itself (idempotent; nothing once it is closing).
pub(crate) fn set(p: &Process) {
    set_deferred(p).run();
}

/// [`set`], for a caller that holds a lock of its own (a supervisor's
/// state, which orders its readiness changes): the change is made now,
/// what it wakes and delivers (`ready()` waiters, `Ready` events: user
/// code) is returned, to run once that lock is released.
pub(crate) fn set_deferred(p: &Process) -> Woken {
    let mut after = After::default();
    let mut d = Driver::default();
    {
        let _ready = serialised();
        let flipped = {
            let mut st = p.inner.lock();
            if st.step != Step::Running || !st.cold().ready.self_pending {
                return Woken { after, d };
            }
            st.cold_alloc().ready.self_pending = false;
            count(p, &mut st, -1, &mut after, &mut d)
        };
        if flipped {
            carry(vec![p.clone()], &mut after, &mut d);
        }
    }
    Woken { after, d }
}

/// What a change of readiness made under a caller's lock wakes and
/// delivers (see [`set_deferred`]): run it once that lock is released.
#[must_use = "what it wakes waits for `run`"]
#[derive(Default)]
pub(crate) struct Woken {
    after: After,
    d: Driver,
}

impl Woken {
    pub(crate) fn run(self) {
        self.after.run();
        self.d.run();
    }
}

/// After a link of `child` under a running parent: if the child is not
/// ready, its parents' edges are flagged (idempotent).
pub(crate) fn linked(child: &Process) {
    let mut after = After::default();
    let mut d = Driver::default();
    {
        let _ready = serialised();
        carry(vec![child.clone()], &mut after, &mut d);
    }
    after.run();
    d.run();
}

/// For a child that is not ready as it is made (`signals_ready`): the
/// lock to hold while it is linked and its parent counts it, so the
/// parent's flip reaches the grandparents in order.
pub(crate) fn link_guard() -> crate::sync::MutexGuard<'static, ()> {
    serialised()
}

/// A fresh child that is not ready was linked under `parent` (under the
/// guard of [`link_guard`] and `parent`'s lock): `parent` counts it.
/// Returns whether `parent`'s readiness flipped (carry it on once its lock
/// is released, still under the guard).
pub(crate) fn count_fresh(parent: &Process, st: &mut State, d: &mut Driver) -> bool {
    let mut after = After::default();
    let flipped = count(parent, st, 1, &mut after, d);
    debug_assert!(after.wakers.is_empty(), "a flip to not ready wakes nobody");
    flipped
}

/// Carries a flip of `p` to its parents, under the guard of [`link_guard`].
pub(crate) fn carry_flip(p: &Process, d: &mut Driver) {
    let mut after = After::default();
    carry(vec![p.clone()], &mut after, d);
    after.run();
}

/// `c` started closing while not ready: every running parent that counts
/// it is closed with the cause `StartFailed` (rollback, invariant 3).
pub(crate) fn roll_back(c: &Process, d: &mut Driver) {
    let name = c.name_ref();
    let _ready = serialised();
    let links: Vec<_> = {
        let st = c.inner.lock();
        st.parent_links()
            .map(|(parent, key)| (parent.clone(), key))
            .collect()
    };
    for (parent, key) in links {
        let Some(parent) = parent.upgrade() else {
            continue;
        };
        let p = Process::from_inner(parent);
        let mut st = p.inner.lock();
        let counts = st
            .edge_bits_mut(key, c)
            .is_some_and(|bits| bits.readiness() && bits.unready());
        if counts && let Some(cause) = start_failed_by(&mut st, &name) {
            drop(st);
            d.push_close(p, cause);
        }
    }
}

/// Under a running parent's lock: its start failed because the child
/// `name`, which it counts as not ready, closed (or left): its own
/// failure, and the cause of its close.
pub(crate) fn start_failed_by(st: &mut State, name: &crate::name::Name) -> Option<Cause> {
    if st.step != Step::Running {
        return None;
    }
    let name = name.clone();
    let detail = format!("`{}` closed before it was ready", name.display());
    st.cold_alloc()
        .ready
        .start_error
        .get_or_insert_with(|| Error::start_failed(detail));
    Some(Cause::named(Why::StartFailed, name))
}

/// Whether `p` started closing while not ready: it failed to start.
pub(crate) fn failed_to_start(p: &Process) -> bool {
    p.inner.lock().cold().ready.failed
}

/// Fails the start of `p` with `error` (its own failure) and closes it
/// with the cause `StartFailed` (a start budget ran out).
pub(crate) fn fail_start(p: &Process, error: Error) {
    {
        let mut st = p.inner.lock();
        if st.step != Step::Running {
            return;
        }
        st.cold_alloc().ready.start_error.get_or_insert(error);
    }
    Driver::close(p, Cause::of(Why::StartFailed));
}

/// `Process::ready()`: resolves once the process is ready (Ok), or, if it
/// starts closing before that, once it is Closed (Err, `StartFailed`).
pub(crate) struct ReadyWait {
    p: Process,
    key: Option<u32>,
    closed: Option<super::waiters::PhaseWait>,
}

impl ReadyWait {
    pub(crate) fn new(p: &Process) -> ReadyWait {
        ReadyWait {
            p: p.clone(),
            key: None,
            closed: None,
        }
    }

    fn forget(&mut self) {
        if let Some(key) = self.key.take()
            && let Some(cold) = self.p.inner.lock().cold_mut()
        {
            cold.ready.waiters.remove(key);
        }
    }
}

impl Future for ReadyWait {
    type Output = Result<(), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = &mut *self;
        if this.p.is_background() {
            return Poll::Pending; // never ready, never closes
        }
        if let Some(closed) = &mut this.closed {
            std::task::ready!(Pin::new(closed).poll(cx));
            return Poll::Ready(Err(this.p.start_error()));
        }
        let mut st = this.p.inner.lock();
        let failed = st.cold().ready.failed;
        if st.step == Step::Running && is_ready(&st) || st.step != Step::Running && !failed {
            drop(st);
            this.key = None;
            this.forget();
            return Poll::Ready(Ok(()));
        }
        if st.step != Step::Running {
            drop(st);
            this.forget();
            this.closed = Some(this.p.wait_phase(super::state::CLOSED));
            return Pin::new(&mut *this).poll(cx);
        }
        let waiters = &mut st.cold_alloc().ready.waiters;
        match this.key.and_then(|k| waiters.get_mut(k)) {
            Some(w) => {
                if !w.will_wake(cx.waker()) {
                    w.clone_from(cx.waker());
                }
            }
            None => this.key = Some(waiters.insert(cx.waker().clone())),
        }
        Poll::Pending
    }
}

impl Drop for ReadyWait {
    fn drop(&mut self) {
        self.forget();
    }
}

impl Process {
    /// The error of a process that closed before it was ready: its own
    /// start failure if it has one, else a `StartFailed` error that lists
    /// why it closed.
    pub(crate) fn start_error(&self) -> Error {
        let (result, cause) = {
            let st = self.inner.lock();
            (st.cold().error.clone(), st.cause_stored())
        };
        let why = cause.resolve().map(|c| c.to_string());
        start_failure(result.as_ref(), self.name_ref(), why)
    }
}

/// The `StartFailed` error of a process `name` that closed before it was
/// ready, with the result `result` (for `closed` cause `why`).
pub(crate) fn start_failure(
    result: Option<&Error>,
    name: crate::name::Name,
    why: Option<String>,
) -> Error {
    match result {
        Some(e) if matches!(e.kind(), ErrorKind::StartFailed | ErrorKind::StartTimeout) => {
            e.clone()
        }
        Some(e) => Error::start_failed("it closed before it was ready")
            .for_process(Shown::live(name))
            .with_also(Some(e.clone())),
        None => {
            let why = why.map_or_else(String::new, |c| format!(" ({c})"));
            Error::start_failed(format!("it closed before it was ready{why}"))
                .for_process(Shown::live(name))
        }
    }
}

/// What each process of `root`'s subtree that is not ready waits for, one
/// line each (`path (not ready for …; waits for …)`), for a start budget's
/// error. Names are read once the walk is over (one lock at a time).
pub(crate) fn report(root: &Process) -> Vec<String> {
    struct Entry {
        id: u64,
        path: String,
        since: Option<std::time::Duration>,
        own: Option<&'static str>,
        children: Vec<Process>,
    }
    let now = Stamp::now();
    let mut entries = Vec::new();
    super::graph::walk(root, String::new(), |p, st, path| {
        let name = st.display_name(p.inner.id());
        let here = if path.is_empty() {
            name.into_owned()
        } else {
            format!("{path}/{name}")
        };
        if is_ready(st) {
            return super::graph::Below::Skip;
        }
        // A supervisor watches its runs' readiness itself (a supervised
        // edge is no readiness link): its runs are looked into, and those
        // that are not ready named, below.
        let children: Vec<Process> = st
            .targets(|e| e.bits.unready() || e.bits.supervised())
            .collect();
        entries.push(Entry {
            id: p.inner.id(),
            path: here.clone(),
            since: st.cold().ready.since.elapsed_at(now),
            own: st
                .cold()
                .ready
                .self_pending
                .then_some(st.cold().ready.awaits),
            children: children.clone(),
        });
        super::graph::Below::Into(here, children)
    });
    let not_ready: std::collections::HashSet<u64> = entries.iter().map(|e| e.id).collect();
    entries
        .into_iter()
        .map(|e| {
            let mut waits: Vec<String> = e.own.map(str::to_owned).into_iter().collect();
            waits.extend(
                e.children
                    .iter()
                    .filter(|c| not_ready.contains(&c.id()))
                    .map(|c| format!("`{}`", c.display_name())),
            );
            let since = e
                .since
                .map_or_else(String::new, |d| format!(" for {d:.1?}"));
            let waits = if waits.is_empty() {
                "nothing it can name".to_owned()
            } else {
                waits.join(", ")
            };
            format!("`{}` (not ready{since}; waits for {waits})", e.path)
        })
        .collect()
}
