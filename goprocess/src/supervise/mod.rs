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
//!   window (3 within 5 s by default); one more closes the supervisor with
//!   [`ErrorKind::RestartLimit`], listing
//!   the failure that broke the limit, and its own `OnFailure` applies
//!   (with `Propagate`, the service around it shuts down in its order);
//! - an optional [`backoff`](Supervisor::backoff) waits before a restart,
//!   doubling for repeated restarts of the same child, with ±10% jitter
//!   ([`JITTER`]); a close of the supervisor cancels the wait;
//! - a failure handled by a restart does not appear in the supervisor's
//!   error; one that was not (a `Temporary` child's, the one that broke
//!   the limit) does;
//! - closing the supervisor stops all restarts; its children then close
//!   in reverse order of addition, then its teardown runs.
//!
//! Memory stays flat under restarts: a run leaves the supervisor when it
//! closes, and the restart window keeps at most `max_restarts` instants.
//! [`restarts`](Supervisor::restarts), snapshots and timelines show the
//! count.
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
//! assert_eq!(crashes.load(Ordering::SeqCst), 3);
//! assert_eq!(pool.restarts(), 2);
//! app.close().await.unwrap_err(); // lists the supervisor's failure
//! # }
//! ```

mod policy;

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use self::policy::{Backoff, Intensity, Random, jittered};
pub use self::policy::{JITTER, Restart, Strategy};
use crate::error::{BoxError, Error, ErrorKind, IntoProcessResult};
use crate::events::Event;
use crate::name::Shown;
use crate::process::spawn::{AfterFunction, run_in};
use crate::process::{Cause, Why};
use crate::{AsProcess, Process};

type RunFuture = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>;
type RunFn = Arc<dyn Fn(Process) -> RunFuture + Send + Sync>;

/// A process that runs functions as its children and restarts them
/// (Erlang/OTP semantics). See the [module docs](self) for the rules.
///
/// Cheap to clone: clones are the same supervisor. [`AsProcess`], so it can
/// be a `#[child]` field of a `#[process]` struct.
#[derive(Clone)]
pub struct Supervisor {
    shared: Arc<Shared>,
}

struct Shared {
    process: Process,
    strategy: Strategy,
    handle: tokio::runtime::Handle,
    /// Runs report their end here; the supervisor's function listens.
    ended: mpsc::UnboundedSender<Ended>,
    restarts: AtomicU64,
    /// Lock order: this lock, then process locks (starting a run); never
    /// the reverse (a run's end only sends on `ended`).
    state: Mutex<State>,
}

struct State {
    intensity: Intensity,
    backoff: Option<(Duration, Duration)>,
    /// A builder argument out of range: the supervisor closed with it.
    invalid: Option<Error>,
    children: Vec<Child>,
    random: Random,
}

struct Child {
    name: Cow<'static, str>,
    restart: Restart,
    f: RunFn,
    run: Option<Process>,
    started: Instant,
    restarts: u64,
    backoff: Option<Backoff>,
    /// A `Temporary` child that ended: never started again.
    gone: bool,
}

/// A run that closed.
struct Ended {
    index: usize,
    run: Process,
    result: Result<(), Error>,
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
        let process = Process::with_parent(parent);
        process.name_by_default("supervisor");
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
                invalid: None,
                children: Vec::new(),
                random: Random::new(),
            }),
        });
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

    /// At most `restarts` restarts within any window of `within` (default:
    /// 3 within 5 s). One more closes the supervisor with
    /// [`ErrorKind::RestartLimit`], listing the failure that broke the
    /// limit; then the supervisor's own `OnFailure` applies.
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

    /// Waits `first` before a restart, doubling up to `max` for repeated
    /// restarts of the same child (default: no wait), each wait within
    /// ±10% ([`JITTER`]). The backoff of a child starts over once a run of
    /// it has stayed up for `max`. A close of the supervisor during the
    /// wait cancels the restart.
    ///
    /// `max` below `first` is refused: the supervisor closes at once with
    /// [`ErrorKind::InvalidInput`], and [`child`](Self::child) returns that
    /// error.
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
        } else {
            let mut st = self.lock();
            st.backoff = Some((first, max));
            for child in &mut st.children {
                child.backoff = Some(Backoff::new(first, max));
            }
        }
        self
    }

    /// Starts `f` in a new child process named `name`, after the children
    /// added before it. Each restart runs `f` again in a fresh process
    /// with the same name; `restart` says which ends restart it.
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
        let name = name.into();
        let mut st = self.lock();
        if let Some(invalid) = &st.invalid {
            return Err(invalid.clone());
        }
        if self.shared.process.is_closing() {
            return Err(Error::refused(
                ErrorKind::Closed,
                self.shared.process.display_name(),
                format!("the supervisor is closing; child `{name}` was not started"),
            ));
        }
        let f: RunFn = Arc::new(move |me| {
            let run = f(me);
            Box::pin(async move { run.await.into_process_result() })
        });
        let backoff = st.backoff.map(|(first, max)| Backoff::new(first, max));
        st.children.push(Child {
            name,
            restart,
            f,
            run: None,
            started: Instant::now(),
            restarts: 0,
            backoff,
            gone: false,
        });
        let index = st.children.len() - 1;
        self.shared.start(&mut st, index);
        Ok(())
    }

    /// How many restarts the supervisor has made so far.
    pub fn restarts(&self) -> u64 {
        self.shared.restarts.load(Ordering::Relaxed)
    }

    /// The supervisor's own process.
    pub fn process(&self) -> &Process {
        &self.shared.process
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

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // No user code runs under this lock.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a run of child `index`.
    fn start(&self, st: &mut State, index: usize) {
        let child = &mut st.children[index];
        let f = Arc::clone(&child.f);
        let ended = self.ended.clone();
        let run = self.process.start_run(
            &self.handle,
            child.name.clone(),
            child.restarts,
            move |me| f(me),
            move |run, result| {
                // The supervisor may be gone: then nobody needs to know.
                let _ = ended.send(Ended { index, run, result });
            },
        );
        child.run = run;
        child.started = Instant::now();
    }
}

impl AsProcess for Supervisor {
    fn as_process(&self) -> &Process {
        &self.shared.process
    }
}

impl fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.lock();
        let children: Vec<&str> = st.children.iter().map(|c| &*c.name).collect();
        f.debug_struct("Supervisor")
            .field("process", &self.shared.process)
            .field("strategy", &self.shared.strategy)
            .field("children", &children)
            .field("restarts", &self.restarts())
            .finish()
    }
}

/// What a run's end led to.
enum Next {
    Supervise,
    ShutDown,
}

/// The supervisor's own function: handles the ends of runs until the
/// supervisor closes, then closes its children in reverse order.
async fn supervise(shared: Arc<Shared>, me: Process, mut ended: mpsc::UnboundedReceiver<Ended>) {
    let mut closing = std::pin::pin!(me.closing());
    loop {
        let end = tokio::select! {
            biased;
            _ = &mut closing => break,
            end = ended.recv() => end,
        };
        let Some(end) = end else { break };
        if let Next::ShutDown = on_end(&shared, &me, end).await {
            break;
        }
    }
    // Stopped: no restart from now on. The children close one at a time,
    // the last added first.
    let runs: Vec<Process> = shared
        .lock()
        .children
        .iter_mut()
        .filter_map(|c| c.run.take())
        .collect();
    for run in runs.iter().rev() {
        run.close_run(&me).await;
    }
}

/// Handles the end of a run: restarts what its `Restart` and the strategy
/// say, within the limit.
async fn on_end(shared: &Shared, me: &Process, end: Ended) -> Next {
    let Ended { index, run, result } = end;
    let now = Instant::now();
    let (restarted, wait) = {
        let mut st = shared.lock();
        let child = &mut st.children[index];
        if child.run.as_ref() != Some(&run) {
            return Next::Supervise; // closed by a restart already handled
        }
        child.run = None;
        if !child.restart.restarts(result.is_err()) {
            child.gone |= child.restart == Restart::Temporary;
            drop(st);
            if let Err(e) = result {
                me.record_failure(&run, e);
            }
            return Next::Supervise;
        }
        let up_for = now.saturating_duration_since(child.started);
        let name = child.name.clone();
        if !st.intensity.allow(now) {
            drop(st);
            give_up(shared, me, &run, &name, result);
            return Next::ShutDown;
        }
        let restarts = shared.restarts.fetch_add(1, Ordering::Relaxed) + 1;
        me.set_restarts(restarts);
        let random = st.random.next();
        let child = &mut st.children[index];
        let wait = child
            .backoff
            .as_mut()
            .map(|b| jittered(b.next(up_for), random));
        let count = st.children.len();
        let taken = shared.strategy.takes(index, count, |i| st.children[i].gone);
        drop(st);
        tracing::debug!(
            parent: me.span(), child = %name, restarts, ?taken, "supervisor: restarting"
        );
        me.emit(|supervisor| Event::Restarted {
            supervisor,
            child: name,
            result,
            restarts,
        });
        (taken, wait)
    };
    // The others taken along close one at a time, the last added first;
    // the supervisor's close cancels the restart at any point.
    let others: Vec<Process> = {
        let mut st = shared.lock();
        restarted
            .iter()
            .rev()
            .filter_map(|&i| st.children[i].run.take())
            .collect()
    };
    for run in others {
        tokio::select! {
            biased;
            _ = me.closing() => return Next::ShutDown,
            _ = run.close_run(me) => {}
        }
    }
    if let Some(wait) = wait {
        tokio::select! {
            biased;
            _ = me.closing() => return Next::ShutDown,
            _ = tokio::time::sleep(wait) => {}
        }
    }
    let mut st = shared.lock();
    if me.is_closing() {
        return Next::ShutDown;
    }
    for i in restarted {
        let child = &mut st.children[i];
        if child.restart == Restart::Temporary && i != index {
            child.gone = true; // closed by a sibling's restart: not started again
            continue;
        }
        child.restarts += 1;
        shared.start(&mut st, i);
    }
    Next::Supervise
}

/// One restart more than the limit: the supervisor closes with
/// `RestartLimit`, listing the failure that broke it.
fn give_up(shared: &Shared, me: &Process, run: &Process, name: &str, result: Result<(), Error>) {
    let (max, within) = {
        let st = shared.lock();
        (st.intensity.max, st.intensity.within)
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
        let failed = Error::child_entry(Shown::live(run.name_ref()), e);
        error = error.with_children(vec![failed], 0);
    }
    tracing::warn!(parent: me.span(), error = %error, "supervisor: gave up");
    me.emit(|supervisor| Event::GaveUp {
        supervisor,
        error: error.clone(),
    });
    me.fail(error, Cause::of(Why::RestartLimit));
}
