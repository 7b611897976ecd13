//! A recorder of shutdown timelines: when each process started closing,
//! ran its teardown, and closed.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::events::Observer;
use crate::name::Name;
use crate::process::state::StoredCause;
use crate::{CloseCause, Process};

/// What happened to a process, as recorded by a [`Timeline`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimelineEventKind {
    /// It became not ready: it signals its readiness itself and has not
    /// yet, or a part its start waits for is not ready (see
    /// [`Process::ready`](crate::Process::ready)).
    Starting,
    /// It became ready.
    Ready,
    /// It started closing.
    Closing,
    /// Its teardown started.
    TeardownStarted,
    /// Its teardown returned (or failed, or panicked).
    TeardownFinished,
    /// It was marked Closed; `failed` says whether with an error.
    Closed {
        /// Whether it closed with an error.
        failed: bool,
    },
}

/// One recorded event.
#[derive(Clone, Debug)]
pub struct TimelineEvent {
    at: Duration,
    id: u64,
    name: Cow<'static, str>,
    kind: TimelineEventKind,
    cause: Option<CloseCause>,
    restarts: u64,
}

impl TimelineEvent {
    /// When, since the timeline was made.
    pub fn at(&self) -> Duration {
        self.at
    }
    /// The process's id.
    pub fn id(&self) -> u64 {
        self.id
    }
    /// The process's name, or `#id`.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// What happened.
    pub fn kind(&self) -> TimelineEventKind {
        self.kind
    }
    /// For [`TimelineEventKind::Closing`]: why it started closing.
    pub fn cause(&self) -> Option<&CloseCause> {
        self.cause.as_ref()
    }
}

/// Records the shutdown of a process tree: every process attached to it
/// (the ones below [`attach`](Self::attach)'s root when it is called, and
/// every process linked under them later) reports when it starts closing,
/// runs its teardown and closes. `Display` renders the timeline as a table,
/// in the order processes closed; [`chart`](Self::chart) adds a bar per
/// process.
///
/// Cheap to clone; recording costs one short lock per event, and nothing
/// for processes that are not attached.
///
/// A timeline is bounded: it keeps at most its [`capacity`](Self::capacity)
/// of events (65,536 by default, about 6 MB), so one attached at startup to
/// a service that restarts or ticks for weeks stays flat. When it is full,
/// it drops the events of the processes that closed longest ago (the runs
/// of a periodic process or a supervised child, whose rows are long over),
/// and only if that is not enough the oldest events; the table and the
/// chart end with a line saying how much was dropped
/// ([`dropped`](Self::dropped)).
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use goprocess::Process;
/// use goprocess::introspect::{Timeline, TimelineEventKind};
///
/// let app = Process::new().named("app");
/// let db = Process::with_parent(&app).named("db");
/// db.set_async_teardown(|| async {
///     tokio::time::sleep(Duration::from_millis(30)).await;
///     Ok(())
/// }).unwrap();
/// let timeline = Timeline::new();
/// timeline.attach(&app);
/// app.close().await.unwrap();
///
/// let closed: Vec<String> = timeline.events().iter()
///     .filter(|e| matches!(e.kind(), TimelineEventKind::Closed { .. }))
///     .map(|e| e.name().to_string())
///     .collect();
/// assert_eq!(closed, ["db", "app"]);
/// println!("{timeline}");
/// // process  closing at  teardown  closed at  took
/// // db           +0.0ms    30.0ms    +30.0ms  30.0ms
/// // app          +0.0ms         -    +30.0ms  30.0ms
/// # }
/// ```
#[derive(Clone)]
pub struct Timeline {
    inner: Arc<Inner>,
}

struct Inner {
    start: Instant,
    capacity: usize,
    events: Mutex<Events>,
}

/// The events kept, and what was dropped to keep them within capacity.
#[derive(Default)]
struct Events {
    kept: Vec<Recorded>,
    dropped: Dropped,
}

/// What a full [`Timeline`] dropped: see [`Timeline::dropped`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Events dropped.
    pub events: u64,
    /// Processes none of whose events are kept any more.
    pub processes: u64,
}

/// A timeline's capacity unless made with [`Timeline::with_capacity`].
const DEFAULT_CAPACITY: usize = 1 << 16;

/// The smallest capacity: room for a few processes' events.
const MIN_CAPACITY: usize = 16;

/// An event as recorded: the process's name is read when the timeline is
/// read, so a name given after the event (`p.go(f).named("x")`, with `f`
/// already done) still shows.
#[derive(Clone)]
struct Recorded {
    at: Duration,
    id: u64,
    name: Name,
    kind: TimelineEventKind,
    /// Resolved (names read) when the timeline is read.
    cause: Option<StoredCause>,
    /// The process's restart count (see [`TimelineRow::restarts`]).
    restarts: u64,
}

impl Default for Timeline {
    fn default() -> Timeline {
        Timeline::new()
    }
}

impl Timeline {
    /// An empty timeline that keeps at most 65,536 events; its clock starts
    /// now.
    pub fn new() -> Timeline {
        Timeline::with_capacity(DEFAULT_CAPACITY)
    }

    /// An empty timeline that keeps at most `events` events (16 at least);
    /// see [`Timeline`] for what it drops when full.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goprocess::Process;
    /// use goprocess::introspect::Timeline;
    ///
    /// let app = Process::new().named("app");
    /// let timeline = Timeline::with_capacity(16);
    /// timeline.attach(&app);
    /// for i in 0..100 {
    ///     Process::with_parent(&app).named(format!("job {i}")).close().await.unwrap();
    /// }
    /// assert!(timeline.events().len() <= 16);
    /// assert!(timeline.dropped().processes >= 90); // the oldest jobs
    /// assert!(timeline.to_string().ends_with("the timeline keeps 16)\n"));
    /// # }
    /// ```
    pub fn with_capacity(events: usize) -> Timeline {
        let capacity = events.max(MIN_CAPACITY);
        Timeline {
            inner: Arc::new(Inner {
                start: Instant::now(),
                capacity,
                events: Mutex::new(Events::default()),
            }),
        }
    }

    /// The most events it keeps.
    pub fn capacity(&self) -> usize {
        self.inner.capacity
    }

    /// What it dropped to stay within its capacity, so far.
    pub fn dropped(&self) -> Dropped {
        self.lock().dropped
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Events> {
        self.inner
            .events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `root` and everything it reaches now, and every process
    /// linked under them from now on. Events from before are not recorded.
    pub fn attach(&self, root: &Process) {
        root.observe(Observer::Timeline(self.clone()));
    }

    /// Whether `other` is this timeline (not a copy of its events).
    pub(crate) fn same(&self, other: &Timeline) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    pub(crate) fn record(
        &self,
        id: u64,
        name: Name,
        kind: TimelineEventKind,
        cause: Option<StoredCause>,
        restarts: u64,
    ) {
        let mut events = self.lock();
        // Read under the lock: events are kept in the order of their times.
        let at = Instant::now().saturating_duration_since(self.inner.start);
        if events.kept.len() >= self.inner.capacity {
            events.make_room(self.inner.capacity - self.inner.capacity / 4);
        }
        events.kept.push(Recorded {
            at,
            id,
            name,
            kind,
            cause,
            restarts,
        });
    }

    /// Every event so far, in the order they happened.
    pub fn events(&self) -> Vec<TimelineEvent> {
        // Copied out: reading names takes process locks, never under this
        // one (nothing is locked under a timeline's lock).
        let recorded = self.lock().kept.clone();
        // One name read per process, not per event.
        let mut names: HashMap<u64, Cow<'static, str>> = HashMap::new();
        recorded
            .iter()
            .map(|e| TimelineEvent {
                at: e.at,
                id: e.id,
                name: names
                    .entry(e.id)
                    .or_insert_with(|| e.name.display())
                    .clone(),
                kind: e.kind,
                cause: e.cause.as_ref().and_then(StoredCause::resolve),
                restarts: e.restarts,
            })
            .collect()
    }

    /// One row per process: when it started closing, how long its
    /// teardown took, when it closed. In the order processes closed; the
    /// ones not closed yet last.
    pub fn rows(&self) -> Vec<TimelineRow> {
        let events = self.events();
        let mut rows: Vec<TimelineRow> = Vec::new();
        let mut index: HashMap<u64, usize> = HashMap::new();
        let mut closed_order: HashMap<u64, usize> = HashMap::new();
        for (seq, e) in events.iter().enumerate() {
            let i = *index.entry(e.id).or_insert_with(|| {
                rows.push(TimelineRow {
                    id: e.id,
                    name: e.name.clone(),
                    starting_at: None,
                    ready_at: None,
                    closing_at: None,
                    teardown: None,
                    closed_at: None,
                    failed: false,
                    cause: None,
                    restarts: 0,
                });
                rows.len() - 1
            });
            let row = &mut rows[i];
            row.restarts = row.restarts.max(e.restarts);
            match e.kind {
                TimelineEventKind::Starting => {
                    row.starting_at = Some(e.at);
                    row.ready_at = None;
                }
                TimelineEventKind::Ready => row.ready_at = Some(e.at),
                TimelineEventKind::Closing => {
                    row.closing_at = Some(e.at);
                    row.cause.clone_from(&e.cause);
                }
                TimelineEventKind::TeardownStarted => row.teardown = Some((e.at, None)),
                TimelineEventKind::TeardownFinished => {
                    if let Some((start, end)) = &mut row.teardown {
                        *end = Some(e.at.saturating_sub(*start));
                    }
                }
                TimelineEventKind::Closed { failed } => {
                    row.closed_at = Some(e.at);
                    row.failed = failed;
                    closed_order.insert(e.id, seq);
                }
            }
        }
        rows.sort_by_key(|r| closed_order.get(&r.id).copied().unwrap_or(usize::MAX));
        rows
    }
}

impl Events {
    /// Drops events until at most `target` are kept: all the events of
    /// the processes that closed longest ago first, then, if that is not
    /// enough, the oldest events. A pass every quarter of the capacity:
    /// linear in the events kept, so constant per event recorded.
    fn make_room(&mut self, target: usize) {
        let excess = self.kept.len().saturating_sub(target);
        if excess == 0 {
            return;
        }
        // The closed processes, in the order they closed, with their
        // event counts.
        let mut counts: HashMap<u64, usize> = HashMap::new();
        let mut closed: Vec<u64> = Vec::new();
        for e in &self.kept {
            *counts.entry(e.id).or_default() += 1;
            if matches!(e.kind, TimelineEventKind::Closed { .. }) {
                closed.push(e.id);
            }
        }
        let mut gone: HashSet<u64> = HashSet::new();
        let mut freed = 0;
        for id in closed {
            if freed >= excess {
                break;
            }
            if gone.insert(id) {
                freed += counts[&id];
            }
        }
        let before = self.kept.len();
        self.kept.retain(|e| !gone.contains(&e.id));
        let mut processes = gone.len();
        if self.kept.len() > target {
            let oldest = self.kept.len() - target;
            let cut: HashSet<u64> = self.kept.drain(..oldest).map(|e| e.id).collect();
            let left: HashSet<u64> = self.kept.iter().map(|e| e.id).collect();
            processes += cut.difference(&left).count();
        }
        self.dropped.events += (before - self.kept.len()) as u64;
        self.dropped.processes += processes as u64;
    }
}

/// A process's line in a [`Timeline`].
#[derive(Clone, Debug)]
pub struct TimelineRow {
    id: u64,
    name: Cow<'static, str>,
    starting_at: Option<Duration>,
    ready_at: Option<Duration>,
    closing_at: Option<Duration>,
    teardown: Option<(Duration, Option<Duration>)>,
    closed_at: Option<Duration>,
    failed: bool,
    cause: Option<CloseCause>,
    restarts: u64,
}

impl TimelineRow {
    /// The process's id.
    pub fn id(&self) -> u64 {
        self.id
    }
    /// The process's name, or `#id`.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// When it (last) became not ready, if it was ever not ready while
    /// recorded: its start.
    pub fn starting_at(&self) -> Option<Duration> {
        self.starting_at
    }
    /// When it (last) became ready after that.
    pub fn ready_at(&self) -> Option<Duration> {
        self.ready_at
    }
    /// When it started closing.
    pub fn closing_at(&self) -> Option<Duration> {
        self.closing_at
    }
    /// How long its teardown took, once it returned.
    pub fn teardown_took(&self) -> Option<Duration> {
        self.teardown.and_then(|(_, d)| d)
    }
    /// When it closed.
    pub fn closed_at(&self) -> Option<Duration> {
        self.closed_at
    }
    /// From closing to closed.
    pub fn took(&self) -> Option<Duration> {
        Some(self.closed_at?.saturating_sub(self.closing_at?))
    }
    /// Whether it closed with an error.
    pub fn failed(&self) -> bool {
        self.failed
    }
    /// Why it started closing.
    pub fn cause(&self) -> Option<&CloseCause> {
        self.cause.as_ref()
    }
    /// For a run of a supervised child: how many times the child had been
    /// restarted before this run; for a supervisor: its restarts by the
    /// time it closed. 0 otherwise.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }
}

impl fmt::Display for Timeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::chart::write_plain(f, self)
    }
}

impl fmt::Debug for Timeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kept, dropped) = {
            let events = self.lock();
            (events.kept.len(), events.dropped)
        };
        f.debug_struct("Timeline")
            .field("events", &kept)
            .field("capacity", &self.inner.capacity)
            .field("dropped", &dropped)
            .finish()
    }
}
