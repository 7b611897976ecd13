//! Supervision: restart what failed, within limits, and shut down in
//! order (Erlang/OTP's supervisors, on goprocess's processes).
//!
//! A [`Supervisor`] is a process that runs functions as its children and
//! restarts them when their process closes, as their [`Restart`] says:
//!
//! - each run of a child is a fresh process (with the child's name) that
//!   the supervisor waits for and closes itself; its failures are the
//!   supervisor's to handle, not listed in its error as an `add_child`
//!   child's would be, and the child's own
//!   [`OnFailure`](crate::OnFailure) does not apply;
//! - with [`Strategy::OneForOne`] only the child that closed is restarted;
//!   with [`Strategy::OneForAll`] every other child is closed too, then all
//!   are started again in their order; with [`Strategy::RestForOne`] the
//!   children added after it are closed, then it and they are started again
//!   in their order. Children closed for a restart close one at a time in
//!   reverse order of addition (each once the later ones are Closed). One
//!   such event counts as one restart, however many children it restarts;
//! - at most [`max_restarts`](Supervisor::max_restarts) restarts within any
//!   window (3 within 5 s by default; a restart exactly `within` after
//!   another still counts with it, as OTP's `period`), or none at all
//!   with [`unlimited_restarts`](Supervisor::unlimited_restarts); one more
//!   closes the supervisor with [`ErrorKind::RestartLimit`], listing the
//!   failure that broke the limit, and its own `OnFailure` applies (with
//!   `Propagate`, the service around it shuts down in its order);
//! - an optional [`backoff`](Supervisor::backoff) waits before a restart,
//!   doubling for repeated restarts of the same child, with ±10% jitter
//!   ([`JITTER`]); one child's wait never delays another child's restart,
//!   and a close of the supervisor cancels the wait;
//! - a failure handled by a restart does not appear in the supervisor's
//!   error; one that was not (a `Temporary` child's, the one that broke
//!   the limit, a child's that failed while the supervisor shut down or
//!   was terminated) does;
//! - with [`auto_shutdown`](Supervisor::auto_shutdown), the supervisor
//!   closes itself once any, or all, of its
//!   [significant](ChildSpec::significant) children ended without being
//!   restarted (OTP 24's `auto_shutdown`);
//! - a child can be stopped on its own and started again through its
//!   [`SupervisedChild`] handle (OTP's `terminate_child` and
//!   `restart_child`), and given its own shutdown budget
//!   ([`ChildSpec::shutdown`], OTP's `shutdown`);
//! - closing the supervisor stops all restarts; its children then close
//!   in reverse order of addition (their cause: their parent, the
//!   supervisor, closed), then its teardown runs.
//!
//! # Starting in order
//!
//! A supervisor starts its children one at a time, in their order (OTP's
//! synchronous `start_child`), each once the one before it is ready, and
//! is [ready](Process::ready) once all are:
//!
//! - a child whose runs [signal readiness](ChildSpec::signals_ready) is
//!   [starting](ChildState::Starting) until its run calls
//!   [`set_ready()`](Process::set_ready); the children after it
//!   [wait](ChildState::Waiting), and so does any restart meanwhile (one
//!   run starts at a time). Any other child is ready as its run starts,
//!   and its restarts leave the supervisor ready;
//! - the supervisor is not ready while a run starts, a child waits to
//!   start, or a child that signals readiness is being restarted (in its
//!   backoff too); with no children it is ready. Its ancestors wait for it
//!   as for any child (a supervised run is no readiness link of its own:
//!   the supervisor watches its runs);
//! - while the supervisor starts (until, for the first time, it has
//!   children and all of them are ready), a run that closes before it is
//!   ready (it failed, returned without `set_ready()`, or was closed)
//!   fails the supervisor's start, as OTP's `failed_to_start_child`: the
//!   supervisor closes with [`ErrorKind::StartFailed`] (its close cause
//!   [`CloseCause::StartFailed`](crate::CloseCause::StartFailed)), listing
//!   the run's failure; the children started close in reverse order, the
//!   ones after never start, and no restart is counted. Like any process
//!   that closes before it is ready, it rolls back its ancestors that are
//!   not ready (they close with `StartFailed` too); a ready one, or one
//!   beyond a no-wait link, is untouched;
//! - once it has been ready, a run that closes before it is ready is
//!   restarted like any other (counted, with its backoff), and the
//!   supervisor is not ready until the child's next run is. A supervisor
//!   that closes while not ready (closed, or giving up, while a child
//!   starts again) rolls its not-ready ancestors back as above.
//!
//! The start ends the first time the supervisor is ready with children,
//! whenever that is: a child that does not signal readiness is ready as
//! soon as it is added, and one that signals may be ready (on another
//! worker) before the next child is added. A child added after that is no
//! longer part of the start: its failure to start is a restart. For a
//! start that includes them all, add the children before any of them can
//! be ready (in one go, on a current-thread runtime), those that signal
//! readiness first.
//!
//! # Shutdown order as a wait
//!
//! The order in which the supervisor closes its children is a wait, as
//! a `#[process]` struct's field order is: a `wait_for` from a run of a
//! later child on a run of an earlier one (which the supervisor closes
//! after it) would hang that shutdown, and is refused with
//! [`ErrorKind::Cycle`].
//!
//! A restart that needs no wait (`OneForOne`, no backoff) is made where
//! the run ends, and the next run goes on in the tokio task of the one
//! before (after yielding once): each run is a fresh process, but an
//! immediate restart spawns no task (so `tokio::task::id()` inside a
//! child's function may be the same from one run to the next).
//!
//! Memory stays flat under restarts: a run leaves the supervisor when it
//! closes, and the restart window keeps at most `max_restarts` instants.
//! [`restarts`](Supervisor::restarts), [`children`](Supervisor::children),
//! snapshots and timelines show what happened.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU32, Ordering};
//! use std::time::Duration;
//! use goprocess::{ErrorKind, Process};
//! use goprocess::supervise::{Restart, Strategy, Supervisor};
//!
//! let app = Process::new().named("app");
//! let pool = Supervisor::new(&app, Strategy::OneForOne)
//!     .named("pool")
//!     .max_restarts(2, Duration::from_secs(10));
//! let crashes = Arc::new(AtomicU32::new(0));
//! let c = crashes.clone();
//! pool.child("worker", Restart::Permanent, move |_me| {
//!     let c = c.clone();
//!     async move {
//!         c.fetch_add(1, Ordering::SeqCst);
//!         Err::<(), _>("poison job") // crashes at once, every time
//!     }
//! })
//! .unwrap();
//! // Two restarts are allowed; the third crash breaks the limit.
//! let err = pool.process().err().await.unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::RestartLimit);
//! assert_eq!(err.children()[0].name(), "worker"); // the failure that broke it
//! assert_eq!(crashes.load(Ordering::SeqCst), 3);
//! assert_eq!(pool.restarts(), 2);
//! app.close().await.unwrap_err(); // lists the supervisor's failure
//! # }
//! ```

mod child;
mod policy;

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use self::child::{ChildInfo, ChildSpec, ChildState, SupervisedChild};
pub use self::policy::{AutoShutdown, JITTER, Restart, Strategy};
use self::policy::{Backoff, Intensity, MAX_BACKOFF, Random, jittered};
use crate::error::{Error, ErrorKind, IntoProcessResult};
use crate::events::Event;
use crate::name::Shown;
use crate::process::ready::{self, Woken};
use crate::process::spawn::{AfterFunction, run_in};
use crate::process::{Cause, RunClose, RunEnds, RunOptions, Why};
use crate::{AsProcess, Process, ProcessRef};

/// What a supervisor's readiness waits for, in reports.
const AWAITS: &str = "its children (one at a time)";

/// Starts a run of a child in a new task: [`Process::start_run`] with the
/// child's own function type, so the run's future lives in its task,
/// unboxed.
type Starter = Arc<
    dyn Fn(&Process, &tokio::runtime::Handle, RunOptions, RunReport) -> Option<Process>
        + Send
        + Sync,
>;

/// A process that runs functions as its children and restarts them
/// (Erlang/OTP semantics). See the [module docs](self) for the rules.
///
/// It starts its children one at a time, in their order, each once the
/// one before it is ready, and is ready once all are; while it starts, a
/// run that closes before it is ready fails its start (it closes with
/// [`ErrorKind::StartFailed`], no restart counted), and once it has been
/// ready such a run is restarted like any other (see [Starting in
/// order](self#starting-in-order)).
///
/// Cheap to clone: clones are the same supervisor. [`AsProcess`], so it can
/// be a `#[child]` field of a `#[process]` struct (made with
/// [`root`](Self::root)).
#[derive(Clone)]
pub struct Supervisor {
    shared: Arc<Shared>,
}

struct Shared {
    process: Process,
    strategy: Strategy,
    handle: tokio::runtime::Handle,
    /// What the runs' ends cannot handle on their own (a group restart, a
    /// backoff, the limit, an auto shutdown) goes to the supervisor's loop
    /// here.
    ended: mpsc::UnboundedSender<Msg>,
    restarts: AtomicU64,
    /// Lock order: this lock, then process locks (starting a run, reading
    /// a process's phase); never the reverse: no process lock is held
    /// where this one is taken, and no user code (event subscribers,
    /// children's functions) runs under it.
    state: Mutex<State>,
}

struct State {
    intensity: Intensity,
    backoff: Option<(Duration, Duration)>,
    auto_shutdown: AutoShutdown,
    /// A builder argument out of range: the supervisor closed with it.
    invalid: Option<Error>,
    /// The supervisor has begun to close its children (or its loop is
    /// gone): no run starts from now on.
    stopping: bool,
    children: Vec<Child>,
    /// The child whose run is starting: made, and not ready yet (it
    /// signals readiness). At most one run starts at a time.
    starting: Option<usize>,
    /// The children to start once no run is starting, lowest index first:
    /// exactly the `Waiting` ones. Empty whenever `starting` is `None`,
    /// except while the supervisor stops.
    queue: BTreeSet<usize>,
    /// How many of its children signal readiness.
    signalling: usize,
    /// It has been ready with children at least once: from then on a run
    /// that closes before it is ready is restarted, not a failed start.
    started: bool,
    /// Its process was last declared not ready (see `Shared::settle`).
    unready: bool,
    random: Random,
}

struct Child {
    name: Cow<'static, str>,
    restart: Restart,
    significant: bool,
    /// The budget of each of its runs' closes (OTP's `shutdown`).
    shutdown: Option<Duration>,
    /// Its runs call `set_ready()` once they serve (the startup order
    /// reads this when it starts a run).
    signals_ready: bool,
    start: Starter,
    /// Its current run: running, or being closed (for a restart).
    run: Option<Process>,
    status: Status,
    /// When its current run started; only kept with a backoff (which
    /// starts over after a run that stayed up long enough).
    started: Option<Instant>,
    /// Since when it is waiting to start or starting (read only in those
    /// states: an immediate restart never writes it).
    waiting_since: Option<Instant>,
    restarts: u64,
    backoff: Option<Backoff>,
}

/// Where a child is in its life (the public form is [`ChildState`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    /// Its run is running.
    Running,
    /// A restart will start it: its run is being closed for it, or the
    /// restart is about to start it.
    Restarting,
    /// A restart will start it at this instant, once its backoff is over.
    Backoff(Instant),
    /// To start once no run is starting (it is in the queue).
    Waiting,
    /// Its run is running and not ready yet: it signals readiness and has
    /// not yet (the child in `State::starting`).
    Starting,
    /// Stopped through its handle; started again only by `restart()`.
    Terminated,
    /// Ended and not restarted: a `Transient` child that returned `Ok`, a
    /// `Temporary` one that ended (or was closed by a sibling's restart),
    /// any child once the supervisor closed.
    Ended,
}

impl State {
    /// Whether the end of a significant child, not restarted, closes the
    /// supervisor (its `auto_shutdown`; the child's status says it ended).
    fn shuts_down(&self) -> bool {
        match self.auto_shutdown {
            AutoShutdown::AnySignificant => true,
            AutoShutdown::AllSignificant => {
                !self.children.iter().any(|c| c.significant && c.alive())
            }
            _ => false,
        }
    }
}

impl Child {
    /// Running, or to be started.
    fn alive(&self) -> bool {
        matches!(
            self.status,
            Status::Running
                | Status::Starting
                | Status::Waiting
                | Status::Restarting
                | Status::Backoff(_)
        )
    }

    /// `run` is its current run, running (ready or starting).
    fn runs(&self, run: &Process) -> bool {
        matches!(self.status, Status::Running | Status::Starting) && self.run.as_ref() == Some(run)
    }

    /// Its runs signal readiness and its run has ended or is being
    /// restarted: its next run is to be ready before its supervisor is. (A
    /// child whose runs are ready as they start leaves the supervisor
    /// ready through its restarts.)
    fn holds_back(&self) -> bool {
        self.signals_ready
            && match self.status {
                Status::Restarting | Status::Backoff(_) => true,
                // Its end is on its way to the loop.
                Status::Running => self.run.as_ref().is_some_and(Process::is_closing),
                _ => false,
            }
    }

    /// Left out of a sibling's restart: a `Temporary` child that ended
    /// (OTP forgets it), a terminated one (it stays down until
    /// `restart()`).
    fn left_out(&self) -> bool {
        match self.status {
            Status::Terminated => true,
            Status::Ended => self.restart == Restart::Temporary,
            _ => false,
        }
    }
}

/// What the supervisor's loop is told.
enum Msg {
    /// A run closed, and its end needs the loop.
    Ended(Ended),
    /// A significant child ended: `auto_shutdown` closes the supervisor.
    AutoShutdown,
    /// A run is starting: the loop watches for it to be ready.
    Watch,
}

/// A run that closed, for the loop to handle.
struct Ended {
    index: usize,
    run: Process,
    result: Result<(), Error>,
}

/// Where the runs of child `index` report their ends (from the run's own
/// close, on the thread that closed it). Held by the child's task, as the
/// supervisor's loop holds the supervisor.
#[derive(Clone)]
struct RunReport {
    shared: Arc<Shared>,
    index: usize,
}

impl RunEnds for RunReport {
    fn ended(
        &self,
        run: Process,
        result: Result<(), Error>,
        task: Option<JoinHandle<()>>,
    ) -> Option<Process> {
        self.shared.run_ended(self.index, run, result, task)
    }
}

/// Where snapshots and reports find a supervisor's children (kept in its
/// process, weakly: the supervisor owns its process, not the reverse).
#[derive(Clone)]
pub(crate) struct View(Weak<Shared>);

impl View {
    /// Its children and their states, in their order; empty once the
    /// supervisor is gone.
    pub(crate) fn children(&self) -> Vec<ChildInfo> {
        self.0
            .upgrade()
            .map(|shared| shared.children())
            .unwrap_or_default()
    }
}

impl Supervisor {
    /// A new supervisor, as a new child of `parent` (a root if `parent` is
    /// the background process), restarting its children by `strategy`.
    ///
    /// # Panics
    ///
    /// If no tokio runtime is running on this thread (the supervisor runs
    /// as a tokio task).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goprocess::Process;
    /// use goprocess::supervise::{Strategy, Supervisor};
    ///
    /// let app = Process::new();
    /// let sup = Supervisor::new(&app, Strategy::OneForOne);
    /// app.close().await.unwrap();
    /// assert!(sup.process().is_closed());
    /// # }
    /// ```
    #[track_caller]
    pub fn new(parent: &Process, strategy: Strategy) -> Supervisor {
        let handle = crate::runtime::require("Supervisor::new");
        Supervisor::start(Process::with_parent(parent), strategy, handle)
    }

    /// A new supervisor as a root, restarting its children by `strategy`:
    /// the form for a `#[child]` field of a `#[process]` struct, which
    /// adopts it when it starts (it gets the field's name, unless
    /// [`named`](Self::named)). The same as
    /// `Supervisor::new(&Process::background(), strategy)`.
    ///
    /// # Panics
    ///
    /// If no tokio runtime is running on this thread.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goprocess::prelude::*;
    /// use goprocess::supervise::{Restart, Strategy, Supervisor};
    ///
    /// #[process]
    /// struct Service {
    ///     #[child]
    ///     http: Process,
    ///     #[child]
    ///     #[wait_for(http)]
    ///     workers: Supervisor, // closes after `http`
    /// }
    ///
    /// let workers = Supervisor::root(Strategy::OneForOne);
    /// workers
    ///     .child("worker", Restart::Permanent, |me| async move { me.closing().await })
    ///     .unwrap();
    /// let service = Service { http: Process::new(), workers }.start();
    /// assert_eq!(service.workers.process().name().as_deref(), Some("workers"));
    /// service.process().close().await.unwrap();
    /// assert!(service.workers.process().is_closed());
    /// # }
    /// ```
    #[track_caller]
    pub fn root(strategy: Strategy) -> Supervisor {
        let handle = crate::runtime::require("Supervisor::root");
        Supervisor::start(Process::new(), strategy, handle)
    }

    #[track_caller]
    fn start(process: Process, strategy: Strategy, handle: tokio::runtime::Handle) -> Supervisor {
        process.name_quietly("supervisor");
        let (ended, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            process: process.clone(),
            strategy,
            handle,
            ended,
            restarts: AtomicU64::new(0),
            state: Mutex::new(State {
                intensity: Intensity::new(3, Duration::from_secs(5)),
                backoff: None,
                auto_shutdown: AutoShutdown::Never,
                invalid: None,
                stopping: false,
                children: Vec::new(),
                starting: None,
                queue: BTreeSet::new(),
                signalling: 0,
                started: false,
                unready: false,
                random: Random::new(),
            }),
        });
        process.set_supervisor(View(Arc::downgrade(&shared)));
        let looping = Arc::clone(&shared);
        run_in(
            &process,
            move |me| supervise(looping, me, rx),
            AfterFunction::Close,
            "Supervisor::new",
        );
        Supervisor { shared }
    }

    /// Names the supervisor's process (see [`Process::named`]).
    pub fn named(self, name: impl Into<Cow<'static, str>>) -> Supervisor {
        let _ = self.shared.process.clone().named(name);
        self
    }

    /// What the supervisor's own failure does to its parents (see
    /// [`Process::on_failure`]): with [`OnFailure::Propagate`], a
    /// supervisor that gives up shuts the service around it down in its
    /// order, instead of leaving it running without its children.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use goprocess::{OnFailure, Process};
    /// use goprocess::supervise::{Restart, Strategy, Supervisor};
    ///
    /// let app = Process::new();
    /// let pool = Supervisor::new(&app, Strategy::OneForOne).on_failure(OnFailure::Propagate);
    /// pool.child("w", Restart::Permanent, |_| async { Err::<(), _>("down") })
    ///     .unwrap();
    /// app.closed().await; // it gave up, and took the app down
    /// # }
    /// ```
    ///
    /// [`OnFailure::Propagate`]: crate::OnFailure::Propagate
    pub fn on_failure(self, policy: crate::OnFailure) -> Supervisor {
        self.shared.process.set_on_failure(policy);
        self
    }

    /// At most `restarts` restarts within any window of `within` (default:
    /// 3 within 5 s; OTP's intensity and period). One more closes the
    /// supervisor with [`ErrorKind::RestartLimit`], listing the failure
    /// that broke the limit; then the supervisor's own `OnFailure`
    /// applies. A restart exactly `within` after another still counts
    /// with it, as in OTP. The supervisor keeps at most `restarts`
    /// instants; for no limit at all, use
    /// [`unlimited_restarts`](Self::unlimited_restarts) rather than a
    /// huge `restarts`.
    ///
    /// A limit of zero, or a zero window, is refused: the supervisor closes
    /// at once with [`ErrorKind::InvalidInput`], and [`child`](Self::child)
    /// returns that error. (For a child that must never restart, use
    /// [`Restart::Temporary`].)
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use goprocess::{ErrorKind, Process};
    /// use goprocess::supervise::{Strategy, Supervisor};
    ///
    /// let sup = Supervisor::new(&Process::new(), Strategy::OneForOne)
    ///     .max_restarts(0, Duration::from_secs(5));
    /// let err = sup.child("w", goprocess::supervise::Restart::Permanent, |_| async {}).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// # }
    /// ```
    pub fn max_restarts(self, restarts: u32, within: Duration) -> Supervisor {
        if restarts == 0 {
            self.refuse(format!(
                "max_restarts(0, {within:?}) allows no restart at all; allow at least 1, or use \
                 Restart::Temporary for children that must not restart"
            ));
        } else if within.is_zero() {
            self.refuse(format!(
                "max_restarts({restarts}, 0s) counts restarts in a window of no time; give a \
                 window such as Duration::from_secs(5)"
            ));
        } else {
            self.lock().intensity = Intensity::new(restarts, within);
        }
        self
    }

    /// No restart limit: the supervisor restarts its children for as long
    /// as it runs, and never gives up (tokio-graceful-shutdown's "restart
    /// forever" loop, suture's unlimited threshold). It keeps no restart
    /// instants and reads no clock for the limit. Pair it with a
    /// [`backoff`](Self::backoff), so that a child that fails at once does
    /// not spin.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use goprocess::Process;
    /// use goprocess::supervise::{Restart, Strategy, Supervisor};
    ///
    /// let app = Process::new();
    /// let sup = Supervisor::new(&app, Strategy::OneForOne)
    ///     .unlimited_restarts()
    ///     .backoff(Duration::from_millis(100), Duration::from_secs(30));
    /// sup.child("flaky", Restart::Permanent, |_| async { Err::<(), _>("down") })
    ///     .unwrap();
    /// tokio::time::sleep(Duration::from_secs(600)).await;
    /// assert!(sup.restarts() > 10 && !sup.process().is_closing());
    /// app.close().await.unwrap();
    /// # }
    /// ```
    pub fn unlimited_restarts(self) -> Supervisor {
        self.lock().intensity = Intensity::unlimited();
        self
    }

    /// Waits `first` before a restart, doubling up to `max` for repeated
    /// restarts of the same child (default: no wait), each wait within
    /// ±10% ([`JITTER`]). The backoff of a child starts over once a run of
    /// it has stayed up for `max`. A close of the supervisor during the
    /// wait cancels the restart.
    ///
    /// Refused (the supervisor closes at once with
    /// [`ErrorKind::InvalidInput`], and [`child`](Self::child) returns that
    /// error): `max` below `first`; a zero `first` with a non-zero `max`
    /// (doubling zero never grows); a `max` above a year (no restart at
    /// all, and a wait no timer should hold).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use goprocess::Process;
    /// use goprocess::supervise::{Strategy, Supervisor};
    ///
    /// let sup = Supervisor::new(&Process::new(), Strategy::OneForOne)
    ///     .backoff(Duration::from_millis(100), Duration::from_secs(10));
    /// # let _ = sup;
    /// # }
    /// ```
    pub fn backoff(self, first: Duration, max: Duration) -> Supervisor {
        if max < first {
            self.refuse(format!(
                "backoff({first:?}, {max:?}): the maximum is below the first wait; pass a \
                 maximum of at least {first:?}"
            ));
        } else if first.is_zero() && !max.is_zero() {
            self.refuse(format!(
                "backoff(0ns, {max:?}): a first wait of zero never grows by doubling; pass a \
                 first wait above zero, such as Duration::from_millis(100)"
            ));
        } else if max > MAX_BACKOFF {
            self.refuse(format!(
                "backoff({first:?}, {max:?}): a wait of more than a year is no restart at all; \
                 pass a maximum of at most {MAX_BACKOFF:?}, or use Restart::Temporary"
            ));
        } else {
            let mut st = self.lock();
            let backoff = (!max.is_zero()).then_some((first, max));
            st.backoff = backoff;
            for child in &mut st.children {
                child.backoff = backoff.map(|(first, max)| Backoff::new(first, max));
            }
        }
        self
    }

    /// When the supervisor closes itself because its significant children
    /// ended (default [`AutoShutdown::Never`], as OTP): with
    /// [`AnySignificant`](AutoShutdown::AnySignificant) once any of them
    /// ended without being restarted, with
    /// [`AllSignificant`](AutoShutdown::AllSignificant) once all of them
    /// did. Only a child's own end counts (not a
    /// [`terminate`](SupervisedChild::terminate), nor a close for a
    /// sibling's restart). The supervisor then closes its other children
    /// in reverse order and ends with `Ok`, unless a failure is listed
    /// (OTP's `shutdown` exit); its close cause is that its function
    /// returned.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goprocess::Process;
    /// use goprocess::supervise::{AutoShutdown, Restart, Strategy, Supervisor};
    ///
    /// let batch = Supervisor::new(&Process::new(), Strategy::OneForOne)
    ///     .auto_shutdown(AutoShutdown::AllSignificant);
    /// for job in ["a", "b"] {
    ///     batch
    ///         .child_spec(job, Restart::Transient, |_| async { Ok::<(), std::io::Error>(()) })
    ///         .significant()
    ///         .start()
    ///         .unwrap();
    /// }
    /// batch.process().closed().await; // both jobs done: the batch is over
    /// assert!(batch.process().err().await.is_ok());
    /// # }
    /// ```
    pub fn auto_shutdown(self, when: AutoShutdown) -> Supervisor {
        self.lock().auto_shutdown = when;
        self
    }

    /// Starts `f` in a new child process named `name`, after the children
    /// added before it. Each restart runs `f` again in a fresh process
    /// with the same name; `restart` says which ends restart it. The short
    /// form of [`child_spec`](Self::child_spec)`(name, restart, f).start()`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Closed`] once the supervisor is closing;
    /// [`ErrorKind::InvalidInput`] if a builder argument was refused.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goprocess::Process;
    /// use goprocess::supervise::{Restart, Strategy, Supervisor};
    ///
    /// let app = Process::new();
    /// let sup = Supervisor::new(&app, Strategy::OneForOne);
    /// sup.child("ticker", Restart::Permanent, |me| async move {
    ///     me.closing().await; // serve until the supervisor closes
    /// })
    /// .unwrap();
    /// app.close().await.unwrap();
    /// # }
    /// ```
    pub fn child<F, Fut>(
        &self,
        name: impl Into<Cow<'static, str>>,
        restart: Restart,
        f: F,
    ) -> Result<(), Error>
    where
        F: Fn(Process) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoProcessResult,
    {
        self.child_spec(name, restart, f).start().map(|_| ())
    }

    /// A child with options (OTP's child spec): whether it is
    /// [`significant`](ChildSpec::significant), the
    /// [`shutdown`](ChildSpec::shutdown) budget of its runs, whether its
    /// runs [`signal readiness`](ChildSpec::signals_ready). Nothing starts
    /// until [`start`](ChildSpec::start), which returns the child's
    /// [`SupervisedChild`] handle.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use goprocess::Process;
    /// use goprocess::supervise::{Restart, Strategy, Supervisor};
    ///
    /// let app = Process::new();
    /// let sup = Supervisor::new(&app, Strategy::OneForOne);
    /// let cache = sup
    ///     .child_spec("cache", Restart::Permanent, |me| async move { me.closing().await })
    ///     .shutdown(Duration::from_secs(2)) // each run has 2 s to close
    ///     .start()
    ///     .unwrap();
    /// assert_eq!(cache.name(), "cache");
    /// app.close().await.unwrap();
    /// # }
    /// ```
    pub fn child_spec<F, Fut>(
        &self,
        name: impl Into<Cow<'static, str>>,
        restart: Restart,
        f: F,
    ) -> ChildSpec<'_>
    where
        F: Fn(Process) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoProcessResult,
    {
        let f = Arc::new(f);
        let start: Starter = Arc::new(move |supervisor, handle, options, ends| {
            supervisor.start_run(handle, options, Arc::clone(&f), ends)
        });
        ChildSpec::new(self, name.into(), restart, start)
    }

    /// How many restarts the supervisor has made so far.
    pub fn restarts(&self) -> u64 {
        self.shared.restarts.load(Ordering::Relaxed)
    }

    /// Its children, in their order, each with its state: running,
    /// waiting to start or starting (and for how long), restarting, in
    /// backoff until when, terminated or ended (OTP's `which_children`). Snapshots show the same
    /// ([`ProcessInfo::supervised`](crate::introspect::ProcessInfo::supervised)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goprocess::Process;
    /// use goprocess::supervise::{ChildState, Restart, Strategy, Supervisor};
    ///
    /// let sup = Supervisor::new(&Process::new(), Strategy::OneForOne);
    /// let job = sup
    ///     .child_spec("job", Restart::Transient, |_| async {})
    ///     .start()
    ///     .unwrap();
    /// job.run().unwrap().closed().await; // a transient job that returned Ok
    /// let children = sup.children();
    /// assert_eq!(children[0].name(), "job");
    /// assert_eq!(children[0].state(), ChildState::Ended);
    /// # }
    /// ```
    pub fn children(&self) -> Vec<ChildInfo> {
        self.shared.children()
    }

    /// The supervisor's own process.
    pub fn process(&self) -> &Process {
        &self.shared.process
    }

    /// Its children's names in the order they close (the last added
    /// first): what a struct's shutdown plan shows under a supervisor
    /// field, and the reverse of what its startup plan shows. A plan is
    /// derived from the struct's type, while a supervisor's children are
    /// added at run time: a plan that shows them reads them here, from the
    /// running supervisor.
    #[allow(dead_code)] // for the structs' plans (`structs/plan.rs`)
    pub(crate) fn shutdown_order(&self) -> Vec<Cow<'static, str>> {
        let st = self.lock();
        st.children.iter().rev().map(|c| c.name.clone()).collect()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.lock()
    }

    /// A builder argument out of range: the supervisor closes with it.
    fn refuse(&self, detail: String) {
        let error = Error::invalid_input(detail);
        tracing::warn!(parent: self.shared.process.span(), error = %error, "supervisor: refused");
        self.lock().invalid.get_or_insert_with(|| error.clone());
        self.shared.process.fail(error, Cause::of(Why::StartFailed));
    }
}

/// What a [`ChildSpec`] adds.
struct Spec {
    name: Cow<'static, str>,
    restart: Restart,
    significant: bool,
    shutdown: Option<Duration>,
    signals_ready: bool,
    start: Starter,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a child and starts its first run.
    fn add(self: &Arc<Self>, spec: Spec) -> Result<usize, Error> {
        let mut st = self.lock();
        if let Some(invalid) = &st.invalid {
            return Err(invalid.clone());
        }
        if spec.significant && spec.restart == Restart::Permanent {
            return Err(Error::refused(
                ErrorKind::InvalidInput,
                self.process.display_name(),
                format!(
                    "child `{}` is Permanent and significant: a Permanent child is restarted \
                     however it ends, so its end can never shut the supervisor down (OTP \
                     refuses the combination too); make it Transient or Temporary, or not \
                     significant",
                    spec.name
                ),
            ));
        }
        if st.stopping || self.process.is_closing() {
            return Err(Error::refused(
                ErrorKind::Closed,
                self.process.display_name(),
                format!(
                    "the supervisor is closing; child `{}` was not started",
                    spec.name
                ),
            ));
        }
        let backoff = st.backoff.map(|(first, max)| Backoff::new(first, max));
        st.children.push(Child {
            name: spec.name,
            restart: spec.restart,
            significant: spec.significant,
            shutdown: spec.shutdown,
            signals_ready: spec.signals_ready,
            start: spec.start,
            run: None,
            status: Status::Ended,
            started: None,
            waiting_since: None,
            restarts: 0,
            backoff,
        });
        let index = st.children.len() - 1;
        st.signalling += usize::from(spec.signals_ready);
        self.enqueue(&mut st, index);
        let woken = self.settle(&mut st);
        let closed =
            (st.children[index].status == Status::Ended).then(|| st.children[index].name.clone());
        drop(st);
        woken.run();
        if let Some(name) = closed {
            return Err(Error::refused(
                ErrorKind::Closed,
                self.process.display_name(),
                format!("the supervisor has closed; child `{name}` was not started"),
            ));
        }
        Ok(index)
    }

    /// Child `index` is to start once no run is starting: it is queued,
    /// and started at once if nothing starts now.
    fn enqueue(self: &Arc<Self>, st: &mut State, index: usize) {
        let child = &mut st.children[index];
        child.status = Status::Waiting;
        child.waiting_since = Some(Instant::now());
        st.queue.insert(index);
        self.start_next(st);
    }

    /// Starts the children queued, lowest index first, as long as no run
    /// is starting: each waits for the one before it to be ready.
    fn start_next(self: &Arc<Self>, st: &mut State) {
        while st.starting.is_none() {
            let Some(index) = st.queue.pop_first() else {
                return;
            };
            let child = &st.children[index];
            if child.status != Status::Waiting || child.run.is_some() {
                continue; // terminated, or taken by a restart, meanwhile
            }
            self.start_in(st, index, None);
        }
    }

    /// Declares the supervisor's readiness as its children's now are:
    /// not ready while a run starts, a child waits to start, or a child
    /// whose runs signal readiness has ended or is being restarted; ready
    /// otherwise
    /// (with no children too). Under the state lock, which orders these
    /// changes; what a change to ready wakes is returned, to run once the
    /// lock is released. Its first time ready with children ends its
    /// start.
    fn settle(&self, st: &mut State) -> Woken {
        let unready = st.starting.is_some()
            || !st.queue.is_empty()
            || st.signalling > 0 && st.children.iter().any(Child::holds_back);
        let woken = if unready == st.unready {
            Woken::default()
        } else if unready {
            ready::declare(&self.process, AWAITS);
            Woken::default()
        } else {
            ready::set_deferred(&self.process)
        };
        st.unready = unready;
        if !unready && !st.children.is_empty() && !st.started {
            st.started = true;
            tracing::debug!(parent: self.process.span(), "supervisor: started");
        }
        woken
    }

    /// Starts a run of child `index`: in `task` (the task of its last run,
    /// which goes on with it; the run is returned) or, with none, in a new
    /// task. `None` if the supervisor has closed.
    fn start_in(
        self: &Arc<Self>,
        st: &mut State,
        index: usize,
        task: Option<JoinHandle<()>>,
    ) -> Option<Process> {
        // The supervisor closes the runs of later children first: each run
        // is ordered against its running siblings' for the cycle check.
        let (earlier, later) = if st.children.len() > 1 {
            let runs = |children: &[Child]| -> Vec<Process> {
                children.iter().filter_map(|c| c.run.clone()).collect()
            };
            (runs(&st.children[..index]), runs(&st.children[index + 1..]))
        } else {
            (Vec::new(), Vec::new())
        };
        let timed = st.backoff.is_some();
        let child = &mut st.children[index];
        let options = RunOptions {
            name: child.name.clone(),
            restarts: child.restarts,
            budget: child.shutdown,
            signals_ready: child.signals_ready,
            earlier,
            later,
        };
        let run = match task {
            Some(task) => self.process.prepare_run(options, Some(task)),
            None => {
                let ends = RunReport {
                    shared: Arc::clone(self),
                    index,
                };
                (child.start)(&self.process, &self.handle, options, ends)
            }
        };
        match &run {
            Some(run) => {
                child.run = Some(run.clone());
                child.started = timed.then(Instant::now);
                if child.signals_ready {
                    // Not ready until it says so: the next child waits,
                    // and the loop watches for it.
                    child.status = Status::Starting;
                    if child.waiting_since.is_none() {
                        child.waiting_since = Some(Instant::now());
                    }
                    st.starting = Some(index);
                    let _ = self.ended.send(Msg::Watch);
                } else {
                    child.status = Status::Running;
                }
            }
            None => child.status = Status::Ended,
        }
        run
    }

    /// The starting run `run` of child `index` is ready (the loop saw
    /// it): the next child starts.
    fn run_ready(self: &Arc<Self>, index: usize, run: &Process) {
        let mut st = self.lock();
        let child = &st.children[index];
        if child.status != Status::Starting || child.run.as_ref() != Some(run) {
            return; // closed meanwhile: whoever closed it moved on
        }
        let woken = self.became_ready(&mut st, index);
        drop(st);
        woken.run();
    }

    /// Under the state lock: the starting run of child `index` is ready;
    /// the next child starts. What it wakes is returned (see `settle`).
    fn became_ready(self: &Arc<Self>, st: &mut State, index: usize) -> Woken {
        let child = &mut st.children[index];
        child.status = Status::Running;
        child.waiting_since = None;
        tracing::debug!(parent: self.process.span(), child = %child.name, "supervisor: child ready");
        self.not_starting(st, index);
        self.settle(st)
    }

    /// Child `index` no longer starts (its run ended, was terminated or
    /// taken by a restart): the next child may.
    fn not_starting(self: &Arc<Self>, st: &mut State, index: usize) {
        if st.starting == Some(index) {
            st.starting = None;
            self.start_next(st);
        }
    }

    /// A run closed before it was ready while the supervisor was starting:
    /// the supervisor's start failed (OTP's `failed_to_start_child`). It
    /// closes with the cause `StartFailed`, listing the run's failure,
    /// and no restart is counted; its loop then closes the children that
    /// started, the last added first. As any process that closes while
    /// not ready, it rolls back its ancestors that are not ready.
    fn start_failed(&self, run: &Process, name: &str, error: Error) {
        let mut failure = Error::start_failed(format!(
            "child `{name}` failed to start (it closed before it was ready)"
        ));
        let failed = Error::child_entry(Shown::live(run.name_ref()), error.clone());
        failure = failure.with_children(vec![failed], 0);
        tracing::debug!(parent: self.process.span(), error = %failure, "supervisor: its start failed");
        self.process.record_failure(run, error);
        ready::fail_start(&self.process, failure);
    }

    /// A run of child `index` closed (on the thread that closed it, in no
    /// lock); `task` is its task when that can go on with the next run.
    /// An end that restarts nothing, and a `OneForOne` restart with no
    /// backoff, are handled here and now: no message, no wake of the
    /// supervisor's task, no clock read beyond the limit's, and the next
    /// run goes on in `task` (returned). A restart that closes siblings or
    /// waits, the limit broken, and a run aborted (its task dropped) go to
    /// the loop.
    fn run_ended(
        self: &Arc<Self>,
        index: usize,
        run: Process,
        result: Result<(), Error>,
        task: Option<JoinHandle<()>>,
    ) -> Option<Process> {
        let mut st = self.lock();
        let state = &mut *st;
        let child = &mut state.children[index];
        if !child.runs(&run) {
            // Terminated, or closed for a restart or the shutdown: whoever
            // closed it handles its end.
            return None;
        }
        if state.stopping || self.process.is_closing() {
            // Not handled before the supervisor closed: its shutdown lists
            // a failure.
            drop(st);
            let _ = self.ended.send(Msg::Ended(Ended { index, run, result }));
            return None;
        }
        if child.status == Status::Starting {
            drop(st);
            self.starting_ended(index, run, result);
            return None;
        }
        if !child.restart.restarts(result.is_err()) {
            child.run = None;
            child.status = Status::Ended;
            let shut = child.significant && state.shuts_down();
            drop(st);
            if let Err(e) = result {
                self.process.record_failure(&run, e);
            }
            if shut {
                let _ = self.ended.send(Msg::AutoShutdown);
            }
            return None;
        }
        // An aborted run's task is gone (its runtime may be shutting down,
        // where a new task would be dropped at once): the loop decides.
        // So does the restart of a child whose runs signal readiness (the
        // loop watches its next run), and one that must wait for the run
        // starting now.
        let aborted = matches!(&result, Err(e) if e.kind() == ErrorKind::Aborted);
        let here = self.strategy == Strategy::OneForOne
            && state.backoff.is_none()
            && !aborted
            && !child.signals_ready
            && state.starting.is_none()
            && state.intensity.allow(Instant::now);
        if !here {
            // A child that signals readiness is not ready from its end on
            // (it is not restarted here).
            let woken = if child.signals_ready {
                self.settle(state)
            } else {
                Woken::default()
            };
            drop(st);
            woken.run();
            let _ = self.ended.send(Msg::Ended(Ended { index, run, result }));
            return None;
        }
        child.run = None;
        child.status = Status::Restarting;
        let restarts = self.restarts.fetch_add(1, Ordering::Relaxed) + 1;
        let observed = self.process.set_restarts(restarts);
        if observed || !self.process.span().is_disabled() {
            // Told before the new run can start (subscribers run without
            // this lock); a terminate or a close meanwhile wins.
            let name = child.name.clone();
            drop(st);
            tracing::debug!(parent: self.process.span(), child = %name, restarts, "supervisor: restarting");
            if observed {
                emit(&self.process, |supervisor| Event::Restarted {
                    supervisor,
                    child: name,
                    result,
                    restarts,
                });
            }
            st = self.lock();
            if st.children[index].status != Status::Restarting || st.stopping {
                return None;
            }
            if st.starting.is_some() {
                // A run began starting meanwhile: this one waits for it.
                st.children[index].restarts += 1;
                self.enqueue(&mut st, index);
                return None;
            }
        }
        st.children[index].restarts += 1;
        self.start_in(&mut st, index, task)
    }

    /// [`run_ended`](Self::run_ended) for a run that was starting (its
    /// child signals readiness, so its restart is never made here). If it
    /// was ready before it ended (before the loop saw it), the next child
    /// starts and its end is an end as any other; if it closed before it
    /// was ready, it failed to start, however it ended: while the
    /// supervisor starts, that fails the supervisor's start.
    #[cold]
    #[inline(never)]
    fn starting_ended(self: &Arc<Self>, index: usize, run: Process, mut result: Result<(), Error>) {
        // The run is Closed: whether it was ready when its close began is
        // settled.
        let failed = ready::failed_to_start(&run);
        let mut st = self.lock();
        let state = &mut *st;
        let child = &state.children[index];
        if child.status != Status::Starting || child.run.as_ref() != Some(&run) {
            return; // terminated, or taken by a restart, meanwhile
        }
        if state.stopping || self.process.is_closing() {
            drop(st);
            let _ = self.ended.send(Msg::Ended(Ended { index, run, result }));
            return;
        }
        let mut woken = Woken::default();
        if !failed {
            woken = self.became_ready(state, index);
        } else {
            if result.is_ok() {
                result = Err(run.start_error());
            }
            if !state.started {
                let child = &mut state.children[index];
                let name = child.name.clone();
                child.run = None;
                child.status = Status::Ended;
                state.starting = None;
                state.stopping = true;
                drop(st);
                if let Err(e) = result {
                    self.start_failed(&run, &name, e);
                }
                return;
            }
        }
        let child = &mut state.children[index];
        if child.restart.restarts(result.is_err()) {
            let settled = self.settle(state);
            drop(st);
            woken.run();
            settled.run();
            let _ = self.ended.send(Msg::Ended(Ended { index, run, result }));
            return;
        }
        child.run = None;
        child.status = Status::Ended;
        let shut = child.significant && state.shuts_down();
        self.not_starting(state, index);
        let settled = self.settle(state);
        drop(st);
        woken.run();
        settled.run();
        if let Err(e) = result {
            self.process.record_failure(&run, e);
        }
        if shut {
            let _ = self.ended.send(Msg::AutoShutdown);
        }
    }

    /// Terminates child `index` (see [`SupervisedChild::terminate`]): the
    /// close of its current run, if it has one, to await.
    fn terminate(self: &Arc<Self>, index: usize) -> Result<Option<RunClosing>, Error> {
        let mut st = self.lock();
        if st.stopping || self.process.is_closing() {
            let name = st.children[index].name.clone();
            return Err(Error::refused(
                ErrorKind::Closed,
                self.process.display_name(),
                format!("the supervisor is closing; it closes child `{name}` itself"),
            ));
        }
        let child = &mut st.children[index];
        let was = std::mem::replace(&mut child.status, Status::Terminated);
        let run = match was {
            Status::Running | Status::Starting => child.run.take(),
            // Its run is being closed for a restart: wait for that close.
            Status::Restarting => child.run.clone(),
            _ => None,
        };
        st.queue.remove(&index);
        // A run terminated while starting lets the next child start.
        self.not_starting(&mut st, index);
        let woken = self.settle(&mut st);
        drop(st);
        woken.run();
        Ok(run.map(|run| -> RunClosing {
            Box::pin(run.close_run(&self.process, RunClose::Terminate))
        }))
    }

    /// Starts a terminated or ended child again (see
    /// [`SupervisedChild::restart`]).
    fn restart(self: &Arc<Self>, index: usize) -> Result<(), Error> {
        let mut st = self.lock();
        if let Some(invalid) = &st.invalid {
            return Err(invalid.clone());
        }
        let name = st.children[index].name.clone();
        let refused =
            |kind, detail: String| Err(Error::refused(kind, self.process.display_name(), detail));
        if st.stopping || self.process.is_closing() {
            return refused(
                ErrorKind::Closed,
                format!("the supervisor is closing; child `{name}` was not restarted"),
            );
        }
        match st.children[index].status {
            Status::Terminated | Status::Ended => {}
            Status::Running | Status::Starting => {
                return refused(
                    ErrorKind::InvalidInput,
                    format!(
                        "child `{name}` is running; restart() starts a terminated child again \
                         (terminate() it first)"
                    ),
                );
            }
            Status::Waiting => {
                return refused(
                    ErrorKind::InvalidInput,
                    format!(
                        "child `{name}` is waiting to start already (once the child starting \
                         before it is ready)"
                    ),
                );
            }
            Status::Restarting | Status::Backoff(_) => {
                return refused(
                    ErrorKind::InvalidInput,
                    format!("child `{name}` is being restarted by the supervisor already"),
                );
            }
        }
        self.enqueue(&mut st, index);
        let closed = st.children[index].status == Status::Ended;
        let woken = self.settle(&mut st);
        drop(st);
        woken.run();
        if closed {
            return refused(
                ErrorKind::Closed,
                format!("the supervisor has closed; child `{name}` was not restarted"),
            );
        }
        Ok(())
    }

    /// Its children, as [`Supervisor::children`] lists them.
    fn children(&self) -> Vec<ChildInfo> {
        let now = Instant::now();
        self.lock()
            .children
            .iter()
            .map(|c| ChildInfo {
                name: c.name.clone(),
                state: match c.status {
                    Status::Running => ChildState::Running,
                    Status::Waiting => ChildState::Waiting,
                    Status::Starting => ChildState::Starting,
                    Status::Restarting => ChildState::Restarting,
                    Status::Backoff(until) => ChildState::Backoff { until },
                    Status::Terminated => ChildState::Terminated,
                    Status::Ended => ChildState::Ended,
                },
                restart_in: match c.status {
                    Status::Backoff(until) => Some(until.saturating_duration_since(now)),
                    _ => None,
                },
                waiting_for: match c.status {
                    Status::Waiting | Status::Starting => c
                        .waiting_since
                        .map(|since| now.saturating_duration_since(since)),
                    _ => None,
                },
                restart: c.restart,
                significant: c.significant,
                signals_ready: c.signals_ready,
                restarts: c.restarts,
                run: c.run.as_ref().map(Process::id),
            })
            .collect()
    }
}

/// The close of a terminated child's run, to await.
type RunClosing = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;

impl AsProcess for Supervisor {
    fn as_process(&self) -> &Process {
        &self.shared.process
    }
}

impl fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let children: Vec<Cow<'static, str>> = {
            let st = self.lock();
            st.children.iter().map(|c| c.name.clone()).collect()
        };
        f.debug_struct("Supervisor")
            .field("process", &self.shared.process)
            .field("strategy", &self.shared.strategy)
            .field("children", &children)
            .field("restarts", &self.restarts())
            .finish()
    }
}

/// Sends an event to the supervisor's subscribers. A subscriber that
/// panics is reported and otherwise ignored: the supervisor goes on.
fn emit(me: &Process, event: impl FnOnce(ProcessRef) -> Event) {
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| me.emit(event))) {
        let message = crate::error::panic_message(&*panic);
        tracing::warn!(parent: me.span(), panic = %message, "supervisor: an event subscriber panicked");
    }
}

/// What a run's end led to.
enum Next {
    Supervise,
    /// A restart: these children start now, or after the backoff.
    Restart(Pending),
    /// Stop supervising: the supervisor is closing, or shuts itself down.
    ShutDown,
}

/// Children to start: a restart decided, at once or (with a backoff) at
/// an instant, and the `Restarted` events to send when it starts (its
/// own, and those of earlier restarts it superseded).
struct Pending {
    at: Option<Instant>,
    children: Vec<usize>,
    events: Vec<Restarted>,
}

/// A `Restarted` event, sent when its restart starts its children.
struct Restarted {
    child: Cow<'static, str>,
    result: Result<(), Error>,
    restarts: u64,
}

/// The run starting now, which the loop waits to be ready (a supervised
/// edge is no readiness link: the supervisor watches its runs itself).
struct Watch {
    index: usize,
    run: Process,
    ready: Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>,
}

impl Watch {
    /// The watch of the run starting now: `current` if it watches that
    /// run already, else a new one (or none).
    fn starting(shared: &Shared, current: Option<Watch>) -> Option<Watch> {
        let (index, run) = {
            let st = shared.lock();
            let index = st.starting?;
            (index, st.children[index].run.clone()?)
        };
        match current {
            Some(w) if w.run == run => Some(w),
            _ => Some(Watch {
                index,
                ready: Box::pin(run.ready()),
                run,
            }),
        }
    }
}

/// Resolves once the watched run is ready, or closed before it (never
/// without a watch).
async fn watched(watch: &mut Option<Watch>) -> (usize, Process, Result<(), Error>) {
    match watch {
        Some(w) => {
            let ready = w.ready.as_mut().await;
            (w.index, w.run.clone(), ready)
        }
        None => std::future::pending().await,
    }
}

/// Sleeps until `at`; never ends without one. (No timer is made while no
/// restart waits: the loop runs once per restart.)
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Closes the children still open if the loop ends before it has (a
/// panic in it, its task aborted by a budget or dropped with its
/// runtime): supervised runs are closed by nobody else.
struct Guard {
    shared: Arc<Shared>,
    me: Process,
    armed: bool,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let runs: Vec<Process> = {
            let mut st = self.shared.lock();
            st.stopping = true;
            st.children
                .iter_mut()
                .filter_map(|c| {
                    if c.alive() {
                        c.status = Status::Ended;
                    }
                    c.run.take()
                })
                .collect()
        };
        tracing::warn!(
            parent: self.me.span(),
            open = runs.len(),
            "supervisor: its loop ended early; closing its children in reverse order"
        );
        self.me.close_runs_in_order(runs);
    }
}

/// The supervisor's own function: handles the ends of runs that need it
/// (group restarts, backoffs, the limit, children not restarted) until
/// the supervisor closes or shuts itself down, then closes its children
/// in reverse order.
///
/// A restart's backoff is a deadline the loop waits for among the ends of
/// other runs, so one child's backoff never delays another child's
/// restart.
async fn supervise(shared: Arc<Shared>, me: Process, mut ended: mpsc::UnboundedReceiver<Msg>) {
    let mut guard = Guard {
        shared: Arc::clone(&shared),
        me: me.clone(),
        armed: true,
    };
    let mut closing = std::pin::pin!(me.closing());
    let mut pending: Vec<Pending> = Vec::new();
    let mut watch: Option<Watch> = None;
    loop {
        let next = pending.iter().filter_map(|p| p.at).min();
        let end = tokio::select! {
            biased;
            _ = &mut closing => break,
            (index, run, ready) = watched(&mut watch) => {
                watch = None;
                // Closed before it was ready: its end (or whoever closed
                // it) decides what follows. A run that starts next sends
                // `Watch`.
                if ready.is_ok() {
                    shared.run_ready(index, &run);
                }
                continue;
            }
            _ = sleep_until(next), if next.is_some() => {
                let now = Instant::now();
                let (due, later) = std::mem::take(&mut pending)
                    .into_iter()
                    .partition::<Vec<_>, _>(|p| p.at.is_some_and(|at| at <= now));
                pending = later;
                for restart in due {
                    start_restart(&shared, &me, restart);
                }
                continue;
            }
            end = ended.recv() => end,
        };
        let end = match end {
            Some(Msg::Ended(end)) => end,
            Some(Msg::AutoShutdown) => {
                tracing::debug!(parent: me.span(), "supervisor: its significant children ended; shutting down");
                break;
            }
            Some(Msg::Watch) => {
                watch = Watch::starting(&shared, watch);
                continue;
            }
            None => break,
        };
        match on_end(&shared, &me, end).await {
            Next::Supervise => {}
            Next::ShutDown => break,
            Next::Restart(mut restart) => {
                // This restart starts its children: an earlier one still
                // waiting no longer does (and, with none left, is part of
                // this one: its event is sent with this one's).
                for p in &mut pending {
                    p.children.retain(|i| !restart.children.contains(i));
                    if p.children.is_empty() {
                        let earlier = std::mem::take(&mut p.events);
                        restart.events.splice(0..0, earlier);
                    }
                }
                pending.retain(|p| !p.children.is_empty());
                match restart.at {
                    None => start_restart(&shared, &me, restart),
                    Some(_) => pending.push(restart),
                }
            }
        }
    }
    // Stopped: no restart from now on (those waiting for their backoff
    // are dropped, unsent).
    drop(pending);
    shut_down(&shared, &me).await;
    guard.armed = false;
}

/// Closes the children one at a time, the last added first; a failure no
/// restart handles is listed (a failed close, or an end not handled
/// before the supervisor closed).
async fn shut_down(shared: &Shared, me: &Process) {
    let count = {
        let mut st = shared.lock();
        st.stopping = true;
        st.starting = None;
        st.queue.clear();
        for child in &mut st.children {
            if child.run.is_none() && child.alive() {
                child.status = Status::Ended; // waiting, or to be restarted
            }
        }
        st.children.len()
    };
    for i in (0..count).rev() {
        let Some(run) = shared.lock().children[i].run.clone() else {
            continue;
        };
        let closed = run.close_run(me, RunClose::Shutdown).await;
        {
            let mut st = shared.lock();
            let child = &mut st.children[i];
            if child.run.as_ref() == Some(&run) {
                child.run = None;
            }
            if child.alive() {
                child.status = Status::Ended;
            }
        }
        if let Err(e) = closed {
            me.record_failure(&run, e);
        }
    }
}

/// Handles the end of a run that its own close could not: decides what
/// its `Restart`, the strategy, the limit and `auto_shutdown` say, and
/// closes the others a restart takes along.
async fn on_end(shared: &Arc<Shared>, me: &Process, end: Ended) -> Next {
    #[cfg(test)]
    tests::maybe_panic();
    let Ended { index, run, result } = end;
    let (taken, wait, event) = {
        let mut st = shared.lock();
        let state = &mut *st;
        let child = &mut state.children[index];
        if !child.runs(&run) {
            return Next::Supervise; // terminated, or closed for a restart since
        }
        child.run = None;
        if !child.restart.restarts(result.is_err()) {
            child.status = Status::Ended;
            let shut = child.significant && state.shuts_down();
            shared.not_starting(state, index);
            let woken = shared.settle(state);
            drop(st);
            woken.run();
            if let Err(e) = result {
                me.record_failure(&run, e);
            }
            if shut {
                tracing::debug!(parent: me.span(), "supervisor: its significant children ended; shutting down");
                return Next::ShutDown;
            }
            return Next::Supervise;
        }
        let now = Instant::now();
        let up_for = child
            .started
            .map_or(Duration::ZERO, |s| now.saturating_duration_since(s));
        let name = child.name.clone();
        if !state.intensity.allow(|| now) {
            child.status = Status::Ended;
            if state.starting == Some(index) {
                state.starting = None; // and nothing starts: it gives up
            }
            drop(st);
            give_up(shared, me, &run, &name, result);
            return Next::ShutDown;
        }
        child.status = Status::Restarting;
        let random = state.random.next();
        let wait = state.children[index]
            .backoff
            .as_mut()
            .map(|b| jittered(b.next(up_for), random));
        let count = state.children.len();
        let taken = shared
            .strategy
            .takes(index, count, |i| state.children[i].left_out());
        for &i in &taken {
            state.children[i].status = Status::Restarting;
        }
        // The children taken wait for this restart, not their turn; a run
        // starting among them no longer holds the others back.
        state.queue.retain(|i| !taken.contains(i));
        if let Some(i) = state.starting
            && taken.contains(&i)
        {
            shared.not_starting(state, i);
        }
        let woken = shared.settle(state);
        // Counted once the supervisor's readiness says so.
        let restarts = shared.restarts.fetch_add(1, Ordering::Relaxed) + 1;
        me.set_restarts(restarts);
        drop(st);
        woken.run();
        tracing::debug!(
            parent: me.span(), child = %name, restarts, ?taken, "supervisor: restarting"
        );
        let event = Restarted {
            child: name,
            result,
            restarts,
        };
        (taken, wait, event)
    };
    // The others taken along close one at a time, the last added first.
    // The supervisor's close cancels the restart between two of them: the
    // one closing finishes first (it is the last added still open), and
    // the ones not taken yet are left for the shutdown to close in order.
    // A temporary child closed by a sibling's restart is not started again.
    for &i in taken.iter().rev().filter(|&&i| i != index) {
        let run = {
            let st = shared.lock();
            let child = &st.children[i];
            match child.status {
                Status::Restarting => child.run.clone(),
                _ => None, // terminated meanwhile
            }
        };
        let Some(run) = run else { continue };
        let closed = run.close_run(me, RunClose::Restart).await;
        {
            let mut st = shared.lock();
            let child = &mut st.children[i];
            if child.run.as_ref() == Some(&run) {
                child.run = None;
            }
            if child.status == Status::Restarting && child.restart == Restart::Temporary {
                child.status = Status::Ended;
            }
        }
        if me.is_closing() {
            // The restart is cancelled: this close's failure is not one
            // that a restart handles.
            if let Err(e) = closed {
                me.record_failure(&run, e);
            }
            return Next::ShutDown;
        }
    }
    let at = wait.map(|wait| {
        let now = Instant::now();
        let at = now.checked_add(wait).unwrap_or(now + MAX_BACKOFF);
        let mut st = shared.lock();
        for &i in &taken {
            let child = &mut st.children[i];
            if child.status == Status::Restarting {
                child.status = Status::Backoff(at);
            }
        }
        at
    });
    Next::Restart(Pending {
        at,
        children: taken,
        events: vec![event],
    })
}

/// Starts the children of a restart, in their order, after sending its
/// `Restarted` events (unless the supervisor is closing: the restart is
/// cancelled; a child terminated or started again meanwhile is left
/// alone).
fn start_restart(shared: &Arc<Shared>, me: &Process, restart: Pending) {
    if me.is_closing() {
        return;
    }
    for Restarted {
        child,
        result,
        restarts,
    } in restart.events
    {
        emit(me, |supervisor| Event::Restarted {
            supervisor,
            child,
            result,
            restarts,
        });
    }
    let mut st = shared.lock();
    if me.is_closing() || st.stopping {
        return;
    }
    // Each starts once the one before it is ready (and once any run
    // starting now is).
    for &i in &restart.children {
        let child = &mut st.children[i];
        if !matches!(child.status, Status::Restarting | Status::Backoff(_)) || child.run.is_some() {
            continue;
        }
        child.restarts += 1;
        shared.enqueue(&mut st, i);
    }
    let woken = shared.settle(&mut st);
    drop(st);
    woken.run();
}

/// One restart more than the limit: the supervisor closes with
/// `RestartLimit`, listing the failure that broke it.
fn give_up(shared: &Shared, me: &Process, run: &Process, name: &str, result: Result<(), Error>) {
    let Some((max, within)) = shared.lock().intensity.limit() else {
        return; // unlimited: never gives up
    };
    let what = match &result {
        Ok(()) => "returned",
        Err(_) => "failed",
    };
    let mut error = Error::restart_limit(format!(
        "child `{name}` {what} after {max} restart{} within {within:?}, the most allowed",
        if max == 1 { "" } else { "s" },
    ));
    if let Err(e) = result {
        // Listed among the supervisor's failed children, where its error
        // gets its list when it is Closed (with the failures of temporary
        // children before it), and in the `GaveUp` event's error now.
        me.record_failure(run, e.clone());
        let failed = Error::child_entry(Shown::live(run.name_ref()), e);
        error = error.with_children(vec![failed], 0);
    }
    tracing::warn!(parent: me.span(), error = %error, "supervisor: gave up");
    emit(me, |supervisor| Event::GaveUp {
        supervisor,
        error: error.clone(),
    });
    me.fail(error, Cause::of(Why::RestartLimit));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// Makes the loop's next decision panic (a bug in it, say).
        static PANIC: Cell<bool> = const { Cell::new(false) };
    }

    pub(super) fn maybe_panic() {
        if PANIC.with(|p| p.replace(false)) {
            panic!("injected: the supervisor's loop panicked");
        }
    }

    /// Whatever ends the loop early, the runs still open are closed (the
    /// last added first): supervised runs are closed by nobody else, so
    /// they ran on and the supervisor's parent hung closing.
    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_loop_that_dies_still_closes_its_children_in_reverse_order() {
        let app = Process::new();
        let sup = Supervisor::new(&app, Strategy::OneForAll).named("sup");
        let log = Arc::new(Mutex::new(Vec::new()));
        for name in ["a", "b"] {
            let log = log.clone();
            sup.child(name, Restart::Permanent, move |me: Process| {
                let log = log.clone();
                async move {
                    me.closing().await;
                    log.lock().unwrap().push(format!("stop {name}"));
                }
            })
            .unwrap();
        }
        tokio::task::yield_now().await;
        PANIC.with(|p| p.set(true));
        sup.child("crash", Restart::Permanent, |_| async { Err::<(), _>("x") })
            .unwrap();
        for _ in 0..16 {
            tokio::task::yield_now().await; // crash ends; the loop panics
        }
        assert!(sup.process().is_closing());
        let closed = tokio::time::timeout(Duration::from_secs(60), app.close()).await;
        let err = closed
            .expect("the supervisor's children were closed")
            .unwrap_err();
        let sup_err = err.children()[0].error();
        assert_eq!(sup_err.kind(), ErrorKind::Panic, "{err:#}");
        assert_eq!(*log.lock().unwrap(), ["stop b", "stop a"]);
        assert!(
            sup.children()
                .iter()
                .all(|c| c.state() == ChildState::Ended)
        );
    }
}
