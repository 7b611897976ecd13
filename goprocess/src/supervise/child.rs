//! A child with options ([`ChildSpec`]), the handle of a started child
//! ([`SupervisedChild`]: OTP's `terminate_child` and `restart_child`), and
//! a child as snapshots list it ([`ChildInfo`]: OTP's `which_children`).

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::{Restart, Shared, Spec, Starter, Supervisor};
use crate::{Error, Process};

/// A child of a [`Supervisor`] with options (OTP's child spec), made by
/// [`Supervisor::child_spec`]; nothing starts until [`start`](Self::start).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
/// use goprocess::Process;
/// use goprocess::supervise::{AutoShutdown, Restart, Strategy, Supervisor};
///
/// let app = Process::new();
/// let session = Supervisor::new(&app, Strategy::OneForAll)
///     .auto_shutdown(AutoShutdown::AnySignificant);
/// session
///     .child_spec("reader", Restart::Transient, |me| async move { me.closing().await })
///     .significant() // the session is over once the reader is done
///     .shutdown(Duration::from_secs(1))
///     .start()
///     .unwrap();
/// app.close().await.unwrap();
/// # }
/// ```
#[must_use = "a child spec starts nothing until `start` is called"]
pub struct ChildSpec<'a> {
    supervisor: &'a Supervisor,
    spec: Spec,
}

impl<'a> ChildSpec<'a> {
    pub(super) fn new(
        supervisor: &'a Supervisor,
        name: Cow<'static, str>,
        restart: Restart,
        start: Starter,
    ) -> ChildSpec<'a> {
        ChildSpec {
            supervisor,
            spec: Spec {
                name,
                restart,
                significant: false,
                shutdown: None,
                signals_ready: false,
                start,
            },
        }
    }

    /// The child is significant for the supervisor's
    /// [`auto_shutdown`](Supervisor::auto_shutdown): its own end, when it
    /// is not restarted, may close the supervisor (OTP's `significant`).
    /// For `Transient` and `Temporary` children only: on a `Permanent`
    /// child, [`start`](Self::start) returns
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) (OTP
    /// refuses the combination too). Under
    /// [`AutoShutdown::Never`](super::AutoShutdown::Never) it changes
    /// nothing (OTP refuses it there; here the supervisor's setting may
    /// come later).
    pub fn significant(mut self) -> Self {
        self.spec.significant = true;
        self
    }

    /// The budget of each close of the child's runs (OTP's `shutdown`
    /// timeout): when the supervisor closes a run (for a restart, when the
    /// child is terminated, or when the supervisor closes) and the run is
    /// not Closed within `budget`, it is escalated as any close budget
    /// ([`Process::close_timeout`]: its tasks are aborted) and the
    /// supervisor stops waiting for it, so a child that ignores its close
    /// holds neither its siblings nor the supervisor. The overrun is the
    /// run's failure (`Timeout`), listed in the supervisor's error when no
    /// restart handles it. Default: no budget of its own (the
    /// supervisor's, if any, still bounds it).
    pub fn shutdown(mut self, budget: Duration) -> Self {
        self.spec.shutdown = Some(budget);
        self
    }

    /// The child's runs call [`set_ready()`](Process::set_ready) once they
    /// serve. Until its run has, the child is
    /// [starting](ChildState::Starting): the children after it wait to
    /// start (one run starts at a time, in their order), and the
    /// supervisor, with every ancestor that waits for it, is not ready.
    ///
    /// A run that closes before it called `set_ready()` (it failed,
    /// returned, or was closed) failed to start. While the supervisor
    /// starts (until, for the first time, it has children and all are
    /// ready), that fails the supervisor's start, as OTP's
    /// `failed_to_start_child`: the supervisor closes with
    /// [`ErrorKind::StartFailed`](crate::ErrorKind::StartFailed) listing
    /// the run's failure, the children started close in reverse order, no
    /// restart is counted, and its ancestors that are not ready roll back.
    /// Once the supervisor has been ready, it is a restart like any other
    /// (counted, with the backoff), and the supervisor is not ready until
    /// the next run is. See [Starting in order](super#starting-in-order).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goprocess::Process;
    /// use goprocess::supervise::{ChildState, Restart, Strategy, Supervisor};
    ///
    /// let app = Process::new();
    /// let sup = Supervisor::new(&app, Strategy::OneForOne);
    /// sup.child_spec("db", Restart::Permanent, |me| async move {
    ///     // ... connect, then:
    ///     me.set_ready();
    ///     me.closing().await
    /// })
    /// .signals_ready()
    /// .start()
    /// .unwrap();
    /// let http = sup
    ///     .child_spec("http", Restart::Permanent, |me| async move { me.closing().await })
    ///     .start()
    ///     .unwrap();
    /// assert_eq!(http.state(), ChildState::Waiting); // until `db` is ready
    /// assert!(!app.is_ready());
    /// app.ready().await.unwrap(); // both are up
    /// assert_eq!(http.state(), ChildState::Running);
    /// app.close().await.unwrap();
    /// # }
    /// ```
    pub fn signals_ready(mut self) -> Self {
        self.spec.signals_ready = true;
        self
    }

    /// Adds the child after the children added before it and starts its
    /// first run, at once or, while a child before it is starting, once
    /// that one is ready (it is [waiting](ChildState::Waiting) meanwhile);
    /// returns its handle.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Closed`](crate::ErrorKind::Closed) once the supervisor
    /// is closing; [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput)
    /// for a `Permanent` child marked [`significant`](Self::significant),
    /// or if a builder argument of the supervisor was refused.
    pub fn start(self) -> Result<SupervisedChild, Error> {
        let name = self.spec.name.clone();
        let shared = Arc::clone(&self.supervisor.shared);
        let index = shared.add(self.spec)?;
        Ok(SupervisedChild {
            shared,
            index,
            name,
        })
    }
}

impl fmt::Debug for ChildSpec<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildSpec")
            .field("name", &self.spec.name)
            .field("restart", &self.spec.restart)
            .field("significant", &self.spec.significant)
            .field("shutdown", &self.spec.shutdown)
            .field("signals_ready", &self.spec.signals_ready)
            .finish()
    }
}

/// The handle of a child of a [`Supervisor`], from
/// [`ChildSpec::start`]: stop it on its own and start it again (OTP's
/// `terminate_child` and `restart_child`). Cheap to clone; holding one
/// keeps nothing of the child's past runs.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use goprocess::Process;
/// use goprocess::supervise::{ChildState, Restart, Strategy, Supervisor};
///
/// let app = Process::new();
/// let sup = Supervisor::new(&app, Strategy::OneForOne);
/// let cache = sup
///     .child_spec("cache", Restart::Permanent, |me| async move { me.closing().await })
///     .start()
///     .unwrap();
/// cache.terminate().await.unwrap(); // stays down: no restart
/// assert_eq!(cache.state(), ChildState::Terminated);
/// assert_eq!(sup.restarts(), 0);
/// cache.restart().unwrap(); // up again
/// assert_eq!(cache.state(), ChildState::Running);
/// app.close().await.unwrap();
/// # }
/// ```
#[derive(Clone)]
pub struct SupervisedChild {
    shared: Arc<Shared>,
    index: usize,
    name: Cow<'static, str>,
}

impl SupervisedChild {
    /// The child's name (each of its runs has it).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Closes the child's current run and does not restart it, nor count
    /// a restart (OTP's `terminate_child`): it stays down, a sibling's
    /// group restart included, until [`restart`](Self::restart). Its
    /// run's close cause is [`CloseCause::Asked`](crate::CloseCause::Asked),
    /// its end is no end for [`auto_shutdown`](Supervisor::auto_shutdown),
    /// and its [`shutdown`](ChildSpec::shutdown) budget applies.
    ///
    /// Resolves once the run is Closed (or its budget detached it), with
    /// the run's result; a failure is also listed in the supervisor's
    /// error, as any failure no restart handled. A run terminated while
    /// [starting](ChildState::Starting) lets the next child start. `Ok(())`
    /// at once for a child that was not running (in backoff: its restart
    /// is cancelled; waiting to start: it does not start; terminated
    /// already; ended). Awaited inside the child's own run, it
    /// resolves at once (the run cannot close before its function
    /// returns).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Closed`](crate::ErrorKind::Closed) once the supervisor
    /// is closing (it closes its children itself); the run's error if it
    /// failed.
    ///
    /// # Cancel safety
    ///
    /// The child is terminated when this is called; the future only waits
    /// for its run to close. Dropping it stops nothing.
    pub fn terminate(&self) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let closing = self.shared.terminate(self.index);
        async move {
            match closing? {
                Some(closing) => closing.await,
                None => Ok(()),
            }
        }
    }

    /// Starts a terminated child again (OTP's `restart_child`), or one
    /// that ended without being restarted (a `Transient` child that
    /// returned `Ok`, a `Temporary` one). No restart is counted. It starts
    /// in its turn, as any start: at once, or once the child starting now
    /// is ready.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) if the
    /// child is running (or starting), waiting to start, or being
    /// restarted by the supervisor (in backoff); [`ErrorKind::Closed`](crate::ErrorKind::Closed) once the
    /// supervisor is closing.
    pub fn restart(&self) -> Result<(), Error> {
        self.shared.restart(self.index)
    }

    /// Where the child is in its life now.
    pub fn state(&self) -> ChildState {
        self.info().state
    }

    /// The process of its current run, if it has one (running, or being
    /// closed for a restart).
    pub fn run(&self) -> Option<Process> {
        self.shared.lock().children[self.index].run.clone()
    }

    fn info(&self) -> ChildInfo {
        self.shared.children().swap_remove(self.index)
    }
}

impl fmt::Debug for SupervisedChild {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SupervisedChild")
            .field("name", &self.name)
            .field("supervisor", &self.shared.process)
            .field("state", &self.state())
            .finish()
    }
}

/// Where a supervised child is in its life (see [`ChildInfo`]).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChildState {
    /// Its run is running (and ready, if the child
    /// [signals readiness](ChildSpec::signals_ready)).
    Running,
    /// To start once the child starting before it is ready: the
    /// supervisor starts one child at a time, in their order.
    Waiting,
    /// Its run is running and has not called `set_ready()` yet (a child
    /// that [signals readiness](ChildSpec::signals_ready)); the children
    /// after it wait, and the supervisor is not ready.
    Starting,
    /// A restart is about to start it (its run is being closed for it, or
    /// the restart starts it next).
    Restarting,
    /// A restart starts it at `until`, once its backoff is over.
    Backoff {
        /// When the restart starts it.
        until: Instant,
    },
    /// Stopped with [`SupervisedChild::terminate`]; down until
    /// [`SupervisedChild::restart`].
    Terminated,
    /// Ended and not restarted: a `Transient` child that returned `Ok`, a
    /// `Temporary` one, any child once the supervisor closed it.
    Ended,
}

impl fmt::Display for ChildState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChildState::Running => "running",
            ChildState::Waiting => "waiting to start",
            ChildState::Starting => "starting",
            ChildState::Restarting => "restarting",
            ChildState::Backoff { .. } => "in backoff",
            ChildState::Terminated => "terminated",
            ChildState::Ended => "ended",
        })
    }
}

/// One child of a supervisor, as [`Supervisor::children`] and snapshots
/// ([`ProcessInfo::supervised`](crate::introspect::ProcessInfo::supervised))
/// list it: OTP's `which_children`.
///
/// Its `Display` reads e.g. `` `worker` (in backoff, restarts in 1.2s, 3 restarts) ``
/// or `` `db` (starting for 2.0s) ``.
#[derive(Clone, Debug)]
pub struct ChildInfo {
    pub(super) name: Cow<'static, str>,
    pub(super) state: ChildState,
    pub(super) restart_in: Option<Duration>,
    pub(super) waiting_for: Option<Duration>,
    pub(super) restart: Restart,
    pub(super) significant: bool,
    pub(super) signals_ready: bool,
    pub(super) restarts: u64,
    pub(super) run: Option<u64>,
}

impl ChildInfo {
    /// The child's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where it was in its life.
    pub fn state(&self) -> ChildState {
        self.state
    }

    /// In backoff: how long until its restart, as it was then.
    pub fn restart_in(&self) -> Option<Duration> {
        self.restart_in
    }

    /// Waiting to start or starting: for how long it has been (since it
    /// was queued), as it was then.
    pub fn starting_for(&self) -> Option<Duration> {
        self.waiting_for
    }

    /// Its restart type.
    pub fn restart(&self) -> Restart {
        self.restart
    }

    /// Whether it is significant for the supervisor's `auto_shutdown`.
    pub fn significant(&self) -> bool {
        self.significant
    }

    /// Whether its runs signal readiness ([`ChildSpec::signals_ready`]).
    pub fn signals_ready(&self) -> bool {
        self.signals_ready
    }

    /// How many times the supervisor has restarted it.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    /// The [`id`](Process::id) of its current run's process, if it has one.
    pub fn run(&self) -> Option<u64> {
        self.run
    }
}

impl fmt::Display for ChildInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` ({}", self.name, self.state)?;
        if let Some(waited) = self.waiting_for {
            write!(f, " for {waited:.1?}")?;
        }
        if let Some(wait) = self.restart_in {
            write!(f, ", restarts in {wait:.1?}")?;
        }
        if self.restarts > 0 {
            write!(f, ", {} restarts", self.restarts)?;
        }
        f.write_str(")")
    }
}
