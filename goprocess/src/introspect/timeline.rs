//! A recorder of shutdown timelines: when each process started closing,
//! ran its teardown, and closed.

use std::borrow::Cow;
use std::collections::HashMap;
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
    events: Mutex<Vec<Recorded>>,
}

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
    /// An empty timeline; its clock starts now.
    pub fn new() -> Timeline {
        Timeline {
            inner: Arc::new(Inner {
                start: Instant::now(),
                events: Mutex::new(Vec::new()),
            }),
        }
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
        let at = Instant::now().saturating_duration_since(self.inner.start);
        self.inner
            .events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Recorded {
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
        let recorded = self
            .inner
            .events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
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

/// A process's line in a [`Timeline`].
#[derive(Clone, Debug)]
pub struct TimelineRow {
    id: u64,
    name: Cow<'static, str>,
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
        f.debug_struct("Timeline")
            .field("events", &self.events())
            .finish()
    }
}
