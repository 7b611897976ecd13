//! [`Process`]: one unit of work with a lifecycle, and its relations.

mod builder;
mod cause;
mod close;
mod current;
mod deadline;
mod failure;
pub(crate) mod graph;
pub(crate) mod ready;
mod report;
mod run;
pub(crate) mod spawn;
pub(crate) mod state;
pub(crate) mod teardown;
mod waiters;

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use self::builder::ChildBuilder;
pub(crate) use self::cause::{Cause, Why};
pub use self::cause::{CloseCause, ProcessRef};
pub(crate) use self::close::Driver;
pub(crate) use self::current::Running;
pub use self::deadline::Escalation;
pub use self::failure::OnFailure;
pub(crate) use self::run::RunEnds;
pub use self::spawn::{go, go_child};
pub use self::state::EdgeKind;
use self::state::{CLOSED, CLOSING, HookAt, Inner, State, Step};
use self::teardown::Teardown;
use crate::error::{BoxError, Error, ErrorKind, IntoProcessResult};
use crate::name::Shown;
use crate::runtime;

/// A handle to one process: a unit of work with a lifecycle
/// (Running → Closing → Closed), a teardown that runs exactly once, and
/// relations to other processes that order their shutdown.
///
/// Cheap to clone (an `Arc` inside); clones are the same process:
/// `Eq` and `Hash` go by identity. Dropping handles never closes a process.
///
/// See the [crate documentation](crate) for the concepts.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), goprocess::Error> {
/// use goprocess::Process;
///
/// let server = Process::new().named("server");
/// let db = Process::with_teardown(|| {
///     println!("db closed");
///     Ok(())
/// });
/// server.add_child(&db)?;
/// server.go(|me| async move {
///     me.closing().await; // stop accepting, drain…
/// });
/// server.close().await?; // the worker returns, db closes, then the server
/// assert!(db.is_closed());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Process {
    inner: Arc<Inner>,
}

impl Process {
    /// Makes a process whose state is `state()`. Every call is made
    /// before the state is built, which lets the compiler build it with
    /// fewer copies on its way into the allocation (a process is made per
    /// `go`).
    #[inline(always)]
    fn from_parts(
        parent_span: Option<&tracing::Span>,
        background: bool,
        state: impl FnOnce() -> State,
    ) -> Process {
        let id = state::next_id();
        let span = match parent_span {
            Some(parent) => tracing::debug_span!(
                target: "goprocess", parent: parent, "process", id, name = tracing::field::Empty
            ),
            None => tracing::debug_span!(
                target: "goprocess", parent: None, "process", id, name = tracing::field::Empty
            ),
        };
        Process {
            inner: Arc::new(Inner::new(id, background, span, state())),
        }
    }

    #[inline(always)]
    fn fresh(parent: Option<&Process>, pending: u32, teardown: Option<Teardown>) -> Process {
        let parent = parent.filter(|p| !p.inner.is_background());
        Process::from_parts(parent.map(|p| p.inner.span()), false, || {
            let mut st = State::new(Step::Running);
            // Only `go` makes a process with something pending: its function.
            st.pending = pending;
            st.function_running = pending > 0;
            if let Some(tf) = teardown {
                st.teardown_set = true;
                st.put_teardown(tf);
            }
            st
        })
    }

    /// A process that is already closed with [`ErrorKind::ParentClosed`],
    /// for work refused before it began; `why` completes "not started: ".
    pub(crate) fn not_started(parent: &Process, why: String) -> Process {
        let mut p = Process::from_parts(Some(parent.inner.span()), false, || {
            State::new(Step::Closed)
        });
        let inner = Arc::get_mut(&mut p.inner).expect("a fresh process has a single handle");
        let id = inner.id();
        let st = inner.state_mut();
        let name = st.name_ref(id);
        st.cold_alloc().error = Some(Error::not_started(Shown::live(name), why));
        p.inner.set_phase(CLOSED);
        p
    }

    /// A new running root process (Go: `WithParent(Background())`).
    ///
    /// ```
    /// let p = goprocess::Process::new();
    /// assert!(!p.is_closing());
    /// ```
    pub fn new() -> Process {
        Process::fresh(None, 0, None)
    }

    /// The background process: it never closes, so
    /// [`closing`](Self::closing) and [`closed`](Self::closed) never resolve.
    ///
    /// Relations on it are no-ops (a child of the background process is a
    /// root). Unlike Go, using it where a process that closes is needed is
    /// refused instead of hanging: as a child or wait target it gives
    /// [`ErrorKind::NeverCloses`], and so does closing it.
    ///
    /// ```
    /// use goprocess::{ErrorKind, Process};
    ///
    /// let bg = Process::background();
    /// let err = Process::new().add_child(&bg).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::NeverCloses);
    /// assert_eq!(bg.close_blocking().unwrap_err().kind(), ErrorKind::NeverCloses);
    /// ```
    pub fn background() -> Process {
        static BACKGROUND: OnceLock<Process> = OnceLock::new();
        BACKGROUND
            .get_or_init(|| {
                let p = Process::from_parts(None, true, || State::new(Step::Running));
                p.inner
                    .lock()
                    .set_name(p.inner.id(), Cow::Borrowed("background"));
                p
            })
            .clone()
    }

    /// A new child of `parent` (Go: `WithParent`): closed when `parent`
    /// closes, and `parent` waits for it.
    ///
    /// The link is in place when this returns. If `parent` is closing, the
    /// child is closed at once (and `parent` still waits for it); if
    /// `parent` has closed, the child is returned already closed, with
    /// [`ErrorKind::ParentClosed`].
    ///
    /// ```
    /// use goprocess::Process;
    ///
    /// let parent = Process::new();
    /// let child = Process::with_parent(&parent);
    /// parent.close_blocking().unwrap();
    /// assert!(child.is_closed());
    /// ```
    pub fn with_parent(parent: &Process) -> Process {
        Process::child_of(parent, 0, None)
    }

    /// A new root process with a teardown (Go: `WithTeardown`). The teardown
    /// runs exactly once, after every child and wait target has closed.
    ///
    /// ```
    /// let p = goprocess::Process::with_teardown(|| {
    ///     println!("flushing");
    ///     Ok(())
    /// });
    /// p.close_blocking().unwrap();
    /// ```
    pub fn with_teardown<F>(tf: F) -> Process
    where
        F: FnOnce() -> Result<(), BoxError> + Send + 'static,
    {
        Process::fresh(None, 0, Some(Teardown::from_sync(tf)))
    }

    /// A new root process with an async teardown.
    ///
    /// The teardown runs as a tokio task on the current runtime when the
    /// process tears down, else on the runtime that was current when it was
    /// set, else on a small fallback runtime (so a process closed from a
    /// plain thread still tears down).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let p = goprocess::Process::with_async_teardown(|| async {
    ///     tokio::task::yield_now().await; // e.g. flush a connection
    ///     Ok(())
    /// });
    /// p.close().await.unwrap();
    /// # }
    /// ```
    pub fn with_async_teardown<F, Fut>(tf: F) -> Process
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        Process::fresh(None, 0, Some(Teardown::from_async(tf)))
    }

    /// A new child of `parent`, with `pending` waits; with `awaits`, one
    /// that signals its readiness (not ready until `set_ready`; `awaits`
    /// names what it waits for in reports).
    fn child_of(parent: &Process, pending: u32, awaits: Option<&'static str>) -> Process {
        let mut child = Process::fresh(Some(parent), pending, None);
        if let Some(awaits) = awaits {
            let inner =
                Arc::get_mut(&mut child.inner).expect("a fresh process has a single handle");
            ready::declare_fresh(inner.state_mut(), awaits);
        }
        match graph::link_fresh(parent, &mut child) {
            Ok(()) => child,
            Err(parent_name) => Process::not_started(
                parent,
                format!("its parent `{parent_name}` had already closed"),
            ),
        }
    }

    /// [`with_parent`](Self::with_parent) (a root for the background
    /// process) of a process that is not ready until `set_ready`, from
    /// before its parent can count it: a `#[process]` struct with an
    /// `#[init]`, or prepared. `awaits` names what it waits for in reports.
    pub(crate) fn not_ready_child(parent: &Process, awaits: &'static str) -> Process {
        Process::child_of(parent, 0, Some(awaits))
    }

    /// Sets the teardown later (Go: `SetTeardown`).
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::TeardownAlreadySet`] if the process already has one
    ///   (`tf` is dropped, not run);
    /// - [`ErrorKind::Closed`] if the process is past its teardown step: `tf`
    ///   then runs at once, so what it releases is still released;
    /// - [`ErrorKind::NeverCloses`] on the background process.
    ///
    /// ```
    /// use goprocess::{ErrorKind, Process};
    ///
    /// let p = Process::new();
    /// p.set_teardown(|| Ok(())).unwrap();
    /// let again = p.set_teardown(|| Ok(())).unwrap_err();
    /// assert_eq!(again.kind(), ErrorKind::TeardownAlreadySet);
    /// ```
    pub fn set_teardown<F>(&self, tf: F) -> Result<(), Error>
    where
        F: FnOnce() -> Result<(), BoxError> + Send + 'static,
    {
        self.install_teardown(Teardown::from_sync(tf))
    }

    /// Sets an async teardown later. Same rules as
    /// [`set_teardown`](Self::set_teardown); see
    /// [`with_async_teardown`](Self::with_async_teardown) for where it runs.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let p = goprocess::Process::new();
    /// p.set_async_teardown(|| async { Ok(()) }).unwrap();
    /// p.close().await.unwrap();
    /// # }
    /// ```
    pub fn set_async_teardown<F, Fut>(&self, tf: F) -> Result<(), Error>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.install_teardown(Teardown::from_async(tf))
    }

    pub(crate) fn install_teardown(&self, tf: Teardown) -> Result<(), Error> {
        if self.inner.is_background() {
            return Err(self.refused(ErrorKind::NeverCloses, "its teardown would never run"));
        }
        let run_now = {
            let mut st = self.inner.lock();
            if st.teardown_set {
                return Err(self.refused_locked(
                    &st,
                    ErrorKind::TeardownAlreadySet,
                    "a process has one teardown; compose the work into it",
                ));
            }
            match st.step {
                Step::Running | Step::Closing => {
                    st.put_teardown(tf);
                    st.teardown_set = true;
                    return Ok(());
                }
                _ => tf,
            }
        };
        let id = self.inner.id();
        let name = self.display_name();
        match run_now {
            Teardown::Sync(f) => {
                if let Err(e) = teardown::run_sync(id, f) {
                    tracing::debug!(parent: self.inner.span(), error = %e, "late teardown failed");
                }
            }
            Teardown::Async(boxed) => {
                let teardown::AsyncTeardown { make, home } = *boxed;
                let span = self.inner.span().clone();
                teardown::spawn_async(id, make, home, move |r| {
                    if let Err(e) = r {
                        tracing::debug!(parent: &span, error = %e, "late teardown failed");
                    }
                });
            }
        }
        Err(Error::refused(
            ErrorKind::Closed,
            name,
            "the teardown was set too late, and ran at once",
        ))
    }

    /// Makes `self` wait for `q` before its teardown (Go: `WaitFor`): `self`
    /// closes only after `q` has closed; `q` is not closed by `self`.
    ///
    /// On a closing `self` the wait is still added and honoured.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::Closed`]: `self` has closed (Go panics);
    /// - [`ErrorKind::Cycle`]: `q` already waits, directly or not, for `self`
    ///   (Go deadlocks);
    /// - [`ErrorKind::NeverCloses`]: `q` is the background process (Go hangs).
    ///
    /// ```
    /// use goprocess::{ErrorKind, Process};
    ///
    /// let (a, b) = (Process::new(), Process::new());
    /// a.wait_for(&b).unwrap();
    /// assert_eq!(b.wait_for(&a).unwrap_err().kind(), ErrorKind::Cycle);
    /// ```
    #[must_use = "a refused relation is an error; handle it"]
    pub fn wait_for(&self, q: &Process) -> Result<(), Error> {
        graph::link(self, q, EdgeKind::WaitFor)
    }

    /// Adds `q` as a child (Go: `AddChild`): `q` is closed when `self`
    /// closes, and `self` waits for it. On a closing `self`, `q` is closed
    /// at once and `self` still waits for it.
    ///
    /// A process may have several parents (a DAG): closing any of them
    /// closes it, and each waits for it.
    ///
    /// A `q` that has closed already is not waited for; if it failed, its
    /// error is listed in `self`'s ([`Error::children`]) as if it had closed
    /// under `self`, so a failure is never lost by linking late.
    ///
    /// # Errors
    ///
    /// As for [`wait_for`](Self::wait_for).
    ///
    /// ```
    /// use goprocess::Process;
    ///
    /// let (a, b, shared) = (Process::new(), Process::new(), Process::new());
    /// a.add_child(&shared).unwrap();
    /// b.add_child(&shared).unwrap();
    /// a.close_blocking().unwrap();
    /// assert!(shared.is_closed());
    /// assert!(!b.is_closing());
    /// ```
    #[must_use = "a refused relation is an error; handle it"]
    pub fn add_child(&self, q: &Process) -> Result<(), Error> {
        graph::link(self, q, EdgeKind::Child)
    }

    /// Adds `q` as a child that `self` does not wait for (Go:
    /// `AddChildNoWait`): `q` is closed when `self` closes.
    ///
    /// Never fails: on a closing or closed `self`, `q` is closed at once; the
    /// background process on either side makes it a no-op.
    ///
    /// ```
    /// use goprocess::Process;
    ///
    /// let (p, metrics) = (Process::new(), Process::new());
    /// p.add_child_no_wait(&metrics);
    /// p.close_blocking().unwrap();
    /// assert!(metrics.is_closing());
    /// ```
    pub fn add_child_no_wait(&self, q: &Process) {
        // The only failure of a no-wait link is a closed parent, in which
        // case `link` has already closed `q`, as Go does.
        let _ = graph::link(self, q, EdgeKind::ChildNoWait);
    }

    /// Runs `f` in a new tokio task, as a new child of `self` (Go: `Go`).
    ///
    /// `f` receives its own process: it should return once
    /// [`closing`](Self::closing) fires. When `f` returns by itself, its
    /// process closes after its own children have closed by themselves
    /// ([`close_after_children`](Self::close_after_children)); closing
    /// `self` closes it, and returns only once `f` has returned.
    ///
    /// If `f` returns `Err`, panics, or its task is aborted, its process
    /// closes with [`ErrorKind::Function`], [`ErrorKind::Panic`] or
    /// [`ErrorKind::Aborted`] (after a panic or an abort its children are
    /// closed rather than waited for), and the error is listed in `self`'s
    /// error ([`Error::children`]). Nothing else is torn down by it.
    ///
    /// On a closing `self`, `f` still runs (seeing `closing()` fired) and
    /// `self` waits for it. On a closed `self`, `f` never runs: the returned
    /// process is already closed with [`ErrorKind::ParentClosed`].
    ///
    /// # Panics
    ///
    /// If no tokio runtime is running on this thread.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goprocess::Process;
    ///
    /// let p = Process::new();
    /// let worker = p.go(|me| async move {
    ///     tokio::select! {
    ///         _ = me.closing() => {}
    ///         _ = std::future::pending::<()>() => {}
    ///     }
    /// });
    /// p.close().await.unwrap();
    /// assert!(worker.is_closed());
    /// # }
    /// ```
    #[track_caller]
    pub fn go<F, Fut>(&self, f: F) -> Process
    where
        F: FnOnce(Process) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoProcessResult,
    {
        spawn::go_in(
            self,
            f,
            spawn::AfterFunction::CloseAfterChildren,
            "Process::go",
        )
    }

    /// Closes the process and waits until it is Closed (Go: `Close`).
    ///
    /// Steps: mark Closing (fire [`closing`](Self::closing)); close every
    /// child, concurrently; wait for every child and wait target to close,
    /// including ones added meanwhile; run the teardown, exactly once; mark
    /// Closed (fire [`closed`](Self::closed)); leave every parent's edge set.
    ///
    /// Idempotent: every caller gets the same result, stored for ever.
    /// Nothing happens until the future is first polled.
    ///
    /// # Errors
    ///
    /// The process's own failure (teardown, process function, panic), which
    /// also lists every child that failed ([`Error::children`]); or
    /// [`ErrorKind::Children`] when only children failed; or
    /// [`ErrorKind::NeverCloses`] for the background process.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after its first poll does not stop the shutdown:
    /// the teardown still runs, exactly once, and `closed()` still fires.
    ///
    /// # Closing from inside
    ///
    /// Called from inside a process function or teardown, on a process that
    /// waits (directly or not) for the caller's own process (its own
    /// process, a parent, an ancestor), it starts the close and resolves at
    /// once with `Ok(())`: the process cannot be Closed before the caller
    /// returns, so waiting would never end (Go deadlocks here). The close
    /// finishes once the caller has returned; read its result from outside.
    /// See [No hang](crate#no-hang-nothing-lost).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let p = goprocess::Process::new();
    /// let (a, b) = (p.close(), p.close());
    /// assert!(a.await.is_ok());
    /// assert!(b.await.is_ok());
    /// # }
    /// ```
    pub fn close(&self) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let p = self.clone();
        async move {
            p.closes()?;
            Driver::close(&p, Cause::ASKED);
            p.closed_result_unless_self_wait().await
        }
    }

    /// Starts the close and returns at once, without waiting for anything
    /// the close waits for (like `CancellationToken::cancel`). Needs no
    /// runtime. Read the result later with [`err`](Self::err) or
    /// [`closed`](Self::closed).
    ///
    /// What can close at once closes inside this call, on this thread:
    /// the process itself if it waits for nothing, and its children that
    /// wait for nothing, with their sync teardowns (as
    /// [`close`](Self::close) does in its first poll). A no-op on the
    /// background process and on a process that is closing already.
    ///
    /// ```
    /// use goprocess::Process;
    ///
    /// let app = Process::new();
    /// let worker = Process::with_parent(&app);
    /// let blocker = Process::new();
    /// app.wait_for(&blocker).unwrap();
    /// app.request_close();
    /// assert!(worker.is_closed());          // closed at once: it waits for nothing
    /// assert!(app.is_closing() && !app.is_closed()); // still waits for `blocker`
    /// blocker.request_close();
    /// assert!(app.is_closed());
    /// ```
    pub fn request_close(&self) {
        if !self.inner.is_background() {
            Driver::close(self, Cause::ASKED);
        }
    }

    /// Waits until every child and wait target has closed *by itself* (it
    /// closes none of them; ones added meanwhile are waited for too), then
    /// closes (Go: `CloseAfterChildren`).
    ///
    /// If the process is closed already, returns its result at once; if
    /// someone else closes it meanwhile, returns when it is Closed.
    ///
    /// # Errors
    ///
    /// As for [`close`](Self::close).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after its first poll does not cancel the
    /// request: the process still closes once its children have.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goprocess::Process;
    ///
    /// let p = Process::new();
    /// let job = p.go(|_| async { /* finishes by itself */ });
    /// p.close_after_children().await.unwrap();
    /// assert!(job.is_closed());
    /// # }
    /// ```
    pub fn close_after_children(&self) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let p = self.clone();
        async move {
            p.closes()?;
            {
                let mut st = p.inner.lock();
                if st.idle_close == Why::Running {
                    st.idle_close = Why::Asked;
                }
            }
            Driver::advance(&p);
            p.closed_result_unless_self_wait().await
        }
    }

    /// Closes the process with a time budget.
    ///
    /// Like [`close`](Self::close), but once `budget` has run out and the
    /// process is still not Closed, it returns `Err` of kind
    /// [`ErrorKind::Timeout`] (at the deadline, never much later), whose
    /// [`shutdown_report`](Error::shutdown_report) and `Display` name every
    /// process of the subtree still open then and what each was waiting for.
    /// At the deadline, each open process of the subtree is escalated as it
    /// chose ([`escalation`](Self::escalation); by default the tokio tasks of
    /// its `go` function and async teardown are aborted, so `closed()`
    /// resolves and nothing is left running), and the process is detached
    /// from its parents, which stop waiting for it. The same is reported as
    /// a tracing `warn` event.
    ///
    /// A child's budget never exceeds its parent's remaining budget: the
    /// escalation covers the whole subtree. Timers follow `tokio::time`, so
    /// a paused test clock.
    ///
    /// The close runs on a thread of tokio's blocking pool (of the current
    /// runtime, or of a small fallback one), not inside this future's poll:
    /// a sync teardown of the subtree that blocks cannot delay the return at
    /// the deadline. It blocks the thread it runs on, which stays blocked:
    /// nothing can interrupt a sync function.
    ///
    /// # Errors
    ///
    /// As for [`close`](Self::close) (from inside, see its section
    /// "Closing from inside"), and [`ErrorKind::Timeout`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after its first poll does not stop the shutdown
    /// nor the budget: the escalation still happens at the deadline.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use goprocess::{ErrorKind, Process};
    ///
    /// let server = Process::new().named("server");
    /// let conn = server.go(|_| async {
    ///     std::future::pending::<()>().await // ignores closing()
    /// }).named("conn");
    /// let err = server.close_within(Duration::from_secs(10)).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Timeout);
    /// assert!(err.to_string().contains("`server/conn`"), "{err}");
    /// conn.closed().await; // its task was aborted
    /// assert_eq!(conn.err().await.unwrap_err().kind(), ErrorKind::Aborted);
    /// # }
    /// ```
    pub fn close_within(
        &self,
        budget: Duration,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let p = self.clone();
        async move {
            p.closes()?;
            let verdict = deadline::start_timer(&p, budget);
            // The close runs on a blocking thread, not in this poll: a sync
            // teardown that blocks there must not delay the return at the
            // deadline (the thread it blocks stays blocked).
            let closing = p.clone();
            let cause = Cause::ASKED.under_budget(true);
            runtime::spawn_blocking(move || Driver::close(&closing, cause));
            let mut verdict = verdict;
            tokio::select! {
                biased;
                result = p.closed_result_unless_self_wait() => {
                    if !p.is_closed() {
                        return result; // a close from inside: it returns at once
                    }
                    // Closed: its result says it all (a budget or reserve
                    // that escalated is its own failure); a clean result
                    // still hears from the timer, which sees Closed too.
                    match (result, verdict.await) {
                        (Err(e), _) => Err(e),
                        (Ok(()), Ok(Some(escalated))) => Err(escalated),
                        (Ok(()), _) => Ok(()),
                    }
                }
                verdict = &mut verdict => match verdict {
                    Ok(Some(timeout)) => Err(timeout),
                    _ => p.closed_result_unless_self_wait().await,
                },
            }
        }
    }

    /// Resolves `Ok` once the process is ready and so is every child it
    /// waits for (`add_child`, `with_parent`, `go`, a `#[child]` field,
    /// recursively): the whole subtree is up. A process is ready as soon as
    /// it exists, unless it declared that it signals readiness itself
    /// ([`ChildBuilder::signals_ready`], a `#[process]` struct's `#[init]`,
    /// a supervisor starting its children): then once it calls
    /// [`set_ready`](Self::set_ready). Readiness is that of the subtree as
    /// it is now: a child linked later that is not ready yet makes its
    /// ancestors not ready until it is.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::StartFailed`] if the process starts closing before it
    /// is ready (its start failed, or it was closed during it), once it is
    /// Closed: the error lists the failure that stopped the start, if there
    /// was one.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goprocess::Process;
    ///
    /// let app = Process::new().named("app");
    /// let db = app.child().named("db").signals_ready().go(|me| async move {
    ///     // connect, migrate…
    ///     me.set_ready();
    ///     me.closing().await;
    /// });
    /// assert!(!app.is_ready()); // db is not up yet
    /// app.ready().await.unwrap();
    /// assert!(app.is_ready() && db.is_ready());
    /// app.close().await.unwrap();
    /// # }
    /// ```
    pub fn ready(&self) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        ready::ReadyWait::new(self)
    }

    /// Whether the process and every child it waits for are ready now
    /// (see [`ready`](Self::ready)). A process closing keeps the readiness
    /// it had when its close began.
    ///
    /// ```
    /// let p = goprocess::Process::new();
    /// assert!(p.is_ready()); // nothing to wait for
    /// ```
    pub fn is_ready(&self) -> bool {
        ready::is_ready(&self.inner.lock())
    }

    /// Marks the process itself ready (idempotent). Only a process that
    /// declared that it signals readiness waits for this; every other one
    /// is ready by itself as soon as it exists, and this does nothing. Once
    /// the process is closing, its readiness no longer changes.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let app = goprocess::Process::new();
    /// let http = app.child().signals_ready().go(|me| async move {
    ///     me.set_ready(); // bound and accepting
    ///     me.closing().await;
    /// });
    /// app.ready().await.unwrap();
    /// # let _ = http;
    /// # app.close().await.unwrap();
    /// # }
    /// ```
    pub fn set_ready(&self) {
        ready::set(self);
    }

    /// [`ready`](Self::ready) with a start budget: once `budget` has run
    /// out and the process is still not ready, it returns
    /// [`ErrorKind::StartTimeout`], naming every process not ready yet and
    /// what each waits for, and the process is closed (rollback, with the
    /// cause [`CloseCause::StartFailed`]): the parts that started close in
    /// their derived order, each with its own close budget (never the spent
    /// start budget).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::StartTimeout`], or as [`ready`](Self::ready).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before the budget runs out cancels the budget
    /// (nothing is closed).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use goprocess::{ErrorKind, Process};
    ///
    /// let app = Process::new().named("app");
    /// app.child().named("db").signals_ready().go(|me| async move {
    ///     me.closing().await; // never ready
    /// });
    /// let err = app.ready_within(Duration::from_secs(5)).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::StartTimeout);
    /// assert!(err.to_string().contains("`app/db`"), "{err}");
    /// app.closed().await; // rolled back
    /// # }
    /// ```
    pub fn ready_within(
        &self,
        budget: Duration,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let p = self.clone();
        async move {
            tokio::select! {
                biased;
                ready = p.ready() => ready,
                () = tokio::time::sleep(budget) => {
                    let not_ready = ready::report(&p);
                    if not_ready.is_empty() {
                        return p.ready().await;
                    }
                    let error = Error::start_timeout(
                        Shown::live(p.name_ref()),
                        format!(
                            "not ready within {budget:?}: {}",
                            not_ready.join(", ")
                        ),
                    );
                    tracing::warn!(parent: p.inner.span(), ?budget, "start budget ran out: {error}");
                    ready::fail_start(&p, error.clone());
                    Err(error)
                }
            }
        }
    }

    /// The health of the process and its subtree, for readiness and
    /// liveness probes: ready = [`is_ready`](Self::is_ready) and not
    /// closing; live = nothing failed, no budget ran out, no supervisor gave
    /// up (a graceful shutdown stays live). See
    /// [`Health`](crate::introspect::Health).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let app = goprocess::Process::new().named("app");
    /// let db = app.child().named("db").signals_ready().go(|me| async move {
    ///     me.closing().await; // never says it serves
    /// });
    /// let health = app.health();
    /// assert!(!health.is_ready() && health.is_live());
    /// assert!(health.to_string().contains("`app/db` (starting"), "{health}");
    /// # let _ = db;
    /// # app.close().await.unwrap();
    /// # }
    /// ```
    pub fn health(&self) -> crate::introspect::Health {
        crate::introspect::Health::collect(self)
    }

    /// Marks the process as about to close (readiness probes say not
    /// ready), for `Shutdown`'s drain delay.
    pub(crate) fn set_draining(&self) {
        if !self.inner.is_background() {
            self.inner.lock().cold_alloc().draining = true;
        }
    }

    /// Gives the process a close budget of its own (builder form of
    /// [`set_close_timeout`](Self::set_close_timeout)).
    ///
    /// ```
    /// use std::time::Duration;
    /// let db = goprocess::Process::new().named("db").close_timeout(Duration::from_secs(5));
    /// ```
    pub fn close_timeout(self, budget: Duration) -> Process {
        self.set_close_timeout(budget);
        self
    }

    /// Sets the process's own close budget: from its first close, however
    /// it is closed (by hand, or with its parent), it gets `budget` to
    /// become Closed; then it is escalated and detached from its parents as
    /// [`close_within`](Self::close_within) describes: its own result is a
    /// `Timeout` error (listing what it caused, e.g. an aborted function), and
    /// its parents list it among their failed children. A budget set while
    /// closing applies from the next close only: use `close_within` then.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use goprocess::{ErrorKind, Process};
    ///
    /// let app = Process::new();
    /// let flaky = Process::with_parent(&app);
    /// flaky.set_close_timeout(Duration::from_secs(1));
    /// flaky.set_async_teardown(|| std::future::pending()).unwrap(); // hangs
    /// let err = app.close().await.unwrap_err(); // not held hostage
    /// assert_eq!(err.kind(), ErrorKind::Children);
    /// assert_eq!(err.children()[0].error().kind(), ErrorKind::Timeout);
    /// # }
    /// ```
    pub fn set_close_timeout(&self, budget: Duration) {
        if !self.inner.is_background() {
            self.inner.lock().cold_alloc().budget = Some(budget);
        }
    }

    /// What this process's teardown needs of a close budget (builder form
    /// of [`set_teardown_reserve`](Self::set_teardown_reserve)).
    ///
    /// ```
    /// use std::time::Duration;
    /// let db = goprocess::Process::new()
    ///     .named("db")
    ///     .teardown_reserve(Duration::from_millis(300));
    /// # let _ = db;
    /// ```
    pub fn teardown_reserve(self, reserve: Duration) -> Process {
        self.set_teardown_reserve(reserve);
        self
    }

    /// Reserves `reserve` of any close budget for this process's
    /// teardown. Under a budget ending at `D` ([`close_within`](Self::close_within),
    /// a [`close_timeout`](Self::close_timeout), `Shutdown::grace`), what
    /// this process waits for (its children, its `wait_for` targets, and
    /// the siblings a `#[process]` struct's derived order closes before it)
    /// must be Closed by `D - reserve`: what still runs then is escalated at
    /// `D - reserve` (a `wait_for` target that this close does not reach,
    /// still running, is left alone)
    /// (as a budget that ran out: its tasks aborted, by default, and its
    /// parents no longer wait for it), so this teardown still gets its
    /// time after a stuck part. Reserves add up along the derived order.
    /// The budget still returns at `D`; a close that escalated anything
    /// returns [`ErrorKind::Timeout`] naming what was escalated, even when
    /// the rest then finished in time. A reserve larger than what is left
    /// of a budget escalates at once.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use goprocess::{ErrorKind, Process};
    ///
    /// let app = Process::new().named("app");
    /// let flushed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    /// let f = flushed.clone();
    /// let db = Process::with_parent(&app).named("db");
    /// db.set_async_teardown(move || async move {
    ///     tokio::time::sleep(Duration::from_millis(200)).await; // the flush
    ///     f.store(true, std::sync::atomic::Ordering::SeqCst);
    ///     Ok(())
    /// }).unwrap();
    /// db.set_teardown_reserve(Duration::from_millis(300));
    /// // A server that ignores its close, which db waits for.
    /// db.go(|_| std::future::pending::<()>()).named("http");
    /// let err = app.close_within(Duration::from_secs(1)).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Timeout);
    /// assert!(flushed.load(std::sync::atomic::Ordering::SeqCst), "the flush ran");
    /// # }
    /// ```
    pub fn set_teardown_reserve(&self, reserve: Duration) {
        if !self.inner.is_background() {
            deadline::ANY_RESERVE.store(true, std::sync::atomic::Ordering::Relaxed);
            self.inner.lock().cold_alloc().reserve = Some(reserve);
        }
    }

    /// Chooses what happens to this process's tasks when a close budget
    /// runs out (builder form of [`set_escalation`](Self::set_escalation)).
    ///
    /// ```
    /// use goprocess::{Escalation, Process};
    /// let p = Process::new().escalation(Escalation::Detach);
    /// ```
    pub fn escalation(self, escalation: Escalation) -> Process {
        self.set_escalation(escalation);
        self
    }

    /// Chooses what happens to this process's tasks when a close budget
    /// runs out. The default is [`Escalation::Abort`].
    pub fn set_escalation(&self, escalation: Escalation) {
        if !self.inner.is_background() {
            self.inner.lock().cold_alloc().escalation = escalation;
        }
    }

    /// Which processes of this subtree are still open, and what each is
    /// waiting for: "who is blocking shutdown", at any moment.
    ///
    /// ```
    /// let p = goprocess::Process::new().named("idle");
    /// assert_eq!(p.shutdown_report().to_string(), "`idle` (running)");
    /// p.close_blocking().unwrap();
    /// assert!(p.shutdown_report().is_empty());
    /// ```
    pub fn shutdown_report(&self) -> crate::ShutdownReport {
        crate::ShutdownReport::collect(self)
    }

    /// A point-in-time view of this process and everything it reaches
    /// (children, no-wait children, wait targets): names, states, edge
    /// kinds, the ages of named processes. Print it for a `pstree`-like tree, or export it with
    /// [`Snapshot::to_dot`](crate::Snapshot::to_dot) / [`Snapshot::to_mermaid`](crate::Snapshot::to_mermaid).
    ///
    /// ```
    /// let app = goprocess::Process::new().named("app");
    /// let _db = goprocess::Process::with_parent(&app).named("db");
    /// println!("{}", app.snapshot());
    /// // app [running, age 1.2ms]
    /// // └── db [running, age 1.1ms]
    /// assert_eq!(app.snapshot().processes().len(), 2);
    /// ```
    pub fn snapshot(&self) -> crate::Snapshot {
        crate::introspect::Snapshot::take(self)
    }

    /// Resolves once the process is Closing (a close has begun). Never
    /// resolves for the background process. Does not cause a close.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: made for `tokio::select!`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let p = goprocess::Process::new();
    /// let closing = p.closing();
    /// p.close().await.unwrap();
    /// closing.await;
    /// # }
    /// ```
    pub fn closing(&self) -> impl Future<Output = ()> + Send + 'static {
        self.wait_phase(CLOSING)
    }

    /// Resolves once the process is Closed (its teardown has returned, and
    /// every event of it was delivered to its subscribers), and never
    /// before, wherever it is awaited. Never resolves for the background
    /// process. Does not cause a close.
    ///
    /// Awaited inside a process function or teardown, on a process that
    /// waits (directly or not) for the caller's own process, it can only
    /// resolve once the caller has returned (as in Go): select it against
    /// [`closing`](Self::closing) or a timeout there (see
    /// [No hang](crate#no-hang-nothing-lost)).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let p = goprocess::Process::new();
    /// let observer = tokio::spawn(p.closed());
    /// p.close().await.unwrap();
    /// observer.await.unwrap();
    /// # }
    /// ```
    pub fn closed(&self) -> impl Future<Output = ()> + Send + 'static {
        self.wait_phase(CLOSED)
    }

    /// Waits until the process is Closed and returns its result (Go: `Err`),
    /// without causing a close. It never answers before Closed: like
    /// [`closed`](Self::closed), awaited inside a process that the target
    /// waits for, it resolves only once the caller has returned.
    ///
    /// # Errors
    ///
    /// The process's result, as for [`close`](Self::close); on the
    /// background process, [`ErrorKind::NeverCloses`] at once.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let p = goprocess::go(|_| async { Err::<(), _>("bad config") });
    /// assert_eq!(p.err().await.unwrap_err().to_string(),
    ///            format!("process `#{}`: process function failed: bad config", p.id()));
    /// # }
    /// ```
    pub fn err(&self) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let p = self.clone();
        async move {
            p.closes()?;
            p.closed_result().await
        }
    }

    /// Closes the process and blocks this thread until it is Closed, for
    /// synchronous code (plain threads, `Drop`, FFI). Needs no runtime:
    /// async teardowns run on a runtime as
    /// [`with_async_teardown`](Self::with_async_teardown) says.
    ///
    /// Inside a multi-thread tokio runtime it blocks through
    /// [`tokio::task::block_in_place`].
    ///
    /// # Errors
    ///
    /// As for [`close`](Self::close), and
    /// [`ErrorKind::BlockingInRuntime`] (without closing anything) when
    /// called inside a current-thread runtime, where blocking would
    /// deadlock it: use `close().await` there.
    ///
    /// ```
    /// let p = goprocess::Process::with_teardown(|| Ok(()));
    /// std::thread::spawn(move || p.close_blocking()).join().unwrap().unwrap();
    /// ```
    pub fn close_blocking(&self) -> Result<(), Error> {
        self.closes()?;
        if graph::waits_for_caller(self) {
            // The caller is what it waits for: see `close`.
            Driver::close(self, Cause::ASKED);
            return Ok(());
        }
        match tokio::runtime::Handle::try_current() {
            Err(_) => runtime::may_block(|| runtime::block_on(self.close())),
            Ok(handle) => match handle.runtime_flavor() {
                tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(|| {
                    runtime::may_block(|| runtime::block_on(self.close()))
                }),
                _ => Err(self.refused(
                    ErrorKind::BlockingInRuntime,
                    "its teardowns may need the only thread of this runtime; use \
                     `process.close().await` instead (or close_blocking from a plain std::thread)",
                )),
            },
        }
    }

    /// True from the first close on, for ever. Always false for the
    /// background process.
    ///
    /// ```
    /// let p = goprocess::Process::new();
    /// p.close_blocking().unwrap();
    /// assert!(p.is_closing() && p.is_closed());
    /// ```
    pub fn is_closing(&self) -> bool {
        self.inner.phase() >= CLOSING
    }

    /// True once the process is Closed (its teardown has returned).
    ///
    /// ```
    /// let p = goprocess::Process::new();
    /// assert!(!p.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.phase() == CLOSED
    }

    /// Gives the process a name, shown in tracing, errors and tree views,
    /// and returns the same process. Renaming the background process is
    /// ignored.
    ///
    /// ```
    /// let db = goprocess::Process::new().named("db");
    /// assert_eq!(db.name().as_deref(), Some("db"));
    /// ```
    pub fn named(self, name: impl Into<Cow<'static, str>>) -> Process {
        self.set_name(name.into());
        self
    }

    fn set_name(&self, name: Cow<'static, str>) {
        self.rename(name, true, |_| true);
    }

    /// Names the process `name` if `allowed` says so (the background
    /// process keeps its name); `given` marks a name from `named`, which
    /// struct fields do not override.
    fn rename(&self, name: Cow<'static, str>, given: bool, allowed: impl Fn(&State) -> bool) {
        if self.inner.is_background() {
            return;
        }
        let mut st = self.inner.lock();
        if allowed(&st) {
            self.inner.span().record("name", &*name);
            st.set_name(self.inner.id(), name);
            if given {
                st.cold_alloc().name_given = true;
            }
        }
    }

    /// A child to be started with [`ChildBuilder::go`], configured (name,
    /// failure policy, budget) before its function can start.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let app = goprocess::Process::new();
    /// let job = app.child().named("job").go(|_| async {});
    /// job.closed().await;
    /// # }
    /// ```
    pub fn child(&self) -> ChildBuilder<'_> {
        ChildBuilder::new(self)
    }

    /// Names the process after the type of the `#[process]` struct it runs,
    /// unless it has a name already.
    pub(crate) fn name_by_default(&self, name: &'static str) {
        self.rename(Cow::Borrowed(name), false, |st| st.name().is_none());
    }

    /// Names the process after the struct field that holds it, unless a
    /// user gave it a name with [`named`](Self::named).
    pub(crate) fn name_as_field(&self, name: Cow<'static, str>) {
        self.rename(name, false, |st| !st.cold().name_given);
    }

    /// Sets what this process's failure does to its parents (builder form
    /// of [`set_on_failure`](Self::set_on_failure)).
    ///
    /// ```
    /// use goprocess::{OnFailure, Process};
    /// let app = Process::new();
    /// let http = Process::with_parent(&app).on_failure(OnFailure::Propagate);
    /// # let _ = http;
    /// ```
    pub fn on_failure(self, policy: OnFailure) -> Process {
        self.set_on_failure(policy);
        self
    }

    /// Sets what this process's failure does to the processes it is a
    /// child of ([`OnFailure`]; the default is [`OnFailure::Isolate`]).
    pub fn set_on_failure(&self, policy: OnFailure) {
        if self.inner.is_background() {
            return;
        }
        let mut st = self.inner.lock();
        let cold = st.cold_alloc();
        cold.on_failure = policy;
        cold.on_failure_set = true;
    }

    /// The failure policy of the processes linked under this one from now
    /// on, recursively, unless they set their own (builder form of
    /// [`set_children_on_failure`](Self::set_children_on_failure)):
    /// `app.children_on_failure(OnFailure::Propagate)` makes a whole
    /// service fail as one.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goprocess::{OnFailure, Process};
    ///
    /// let app = Process::new().named("app").children_on_failure(OnFailure::Propagate);
    /// let api = Process::with_parent(&app).named("api");
    /// api.go(|_| async { Err::<(), _>("crashed") }); // two levels down
    /// app.closed().await; // the whole service closed
    /// assert!(app.err().await.is_err());
    /// # }
    /// ```
    pub fn children_on_failure(self, policy: OnFailure) -> Process {
        self.set_children_on_failure(policy);
        self
    }

    /// Sets the failure policy that the processes linked under this one
    /// from now on take when they are linked (through child edges:
    /// `add_child`, `add_child_no_wait`, `with_parent`, `go`, a `#[child]`
    /// field), passed on down the tree, unless they set their own: a
    /// policy set explicitly ([`set_on_failure`](Self::set_on_failure),
    /// `Isolate` included) wins. It does not apply to this process itself.
    /// [`OnFailure::Isolate`] stays the default.
    pub fn set_children_on_failure(&self, policy: OnFailure) {
        if !self.inner.is_background() {
            self.inner.lock().cold_alloc().children_on_failure = Some(policy);
        }
    }

    /// Closes the process, as [`close`](Self::close), and takes its result:
    /// its failure is the caller's, handled, and is neither listed in its
    /// parents' errors nor propagated by its [`OnFailure`] (nor logged as
    /// a failure nobody took). On a process that has closed already, its
    /// parents that have not closed yet leave the failure out of their own
    /// errors too; a failure already passed on before the call (a
    /// propagating failure, a parent that closed since) stays so.
    ///
    /// # Errors
    ///
    /// As for [`close`](Self::close).
    ///
    /// # Cancel safety
    ///
    /// As for [`close`](Self::close); the result is taken from the first
    /// poll on.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goprocess::Process;
    ///
    /// let app = Process::new().named("app");
    /// let job = Process::with_parent(&app).named("job");
    /// job.set_teardown(|| Err("flush failed".into())).unwrap();
    /// assert!(job.close_and_take().await.is_err()); // handled here
    /// app.close().await.unwrap(); // not listed by the app
    /// # }
    /// ```
    pub fn close_and_take(&self) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let p = self.clone();
        async move {
            p.closes()?;
            p.take_result();
            Driver::close(&p, Cause::ASKED);
            let result = p.closed_result_unless_self_wait().await;
            // Closed before the call: parents that have not closed yet
            // leave its failure out too.
            if let Err(e) = &result {
                e.mark_taken();
            }
            result
        }
    }

    /// Marks the result as taken (see [`close_and_take`](Self::close_and_take)).
    pub(crate) fn take_result(&self) {
        if !self.inner.is_background() {
            self.inner.lock().cold_alloc().taken = true;
        }
    }

    /// Stops the process now: the tasks of its function and of the
    /// functions of its subtree are aborted (not waited for), their
    /// processes close, and every teardown still runs, exactly once, in
    /// the derived order. An abort is not a failure: the aborted functions
    /// end without an error (their cause is [`CloseCause::Aborted`] for
    /// this process). Returns at once; await [`closed`](Self::closed) or
    /// [`err`](Self::err) for the end. A no-op on a process that is Closed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goprocess::Process;
    ///
    /// let job = Process::new().named("job");
    /// job.set_teardown(|| { println!("cleaned up"); Ok(()) }).unwrap();
    /// job.go(|_| std::future::pending::<()>()); // ignores closing()
    /// job.abort();
    /// job.err().await.unwrap(); // stopped, cleaned up, no failure
    /// # }
    /// ```
    pub fn abort(&self) {
        if self.inner.is_background() {
            return;
        }
        let mut tasks = Vec::new();
        graph::walk(self, (), |p, st, _| {
            if p.inner.is_background() || st.step.finished() {
                return graph::Below::Skip;
            }
            st.cold_alloc().aborted = true;
            if let Some(task) = st.task.take() {
                tasks.push(task);
            }
            graph::Below::Into((), st.targets(|e| e.kind().closes()).collect())
        });
        Driver::close(self, Cause::of(Why::Aborted));
        for task in tasks {
            task.abort();
        }
    }

    /// Resolves once every child of the process (`add_child`,
    /// `add_child_no_wait`, `with_parent`, `go`; and any added meanwhile)
    /// is Closed. It closes nothing, and is usable inside the process's
    /// own function: a server that stops accepting, then waits for its
    /// connections to finish before it returns.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let app = goprocess::Process::new();
    /// app.go(|me| async move {
    ///     for i in 0..3 {
    ///         me.go(move |_| async move { println!("job {i} done") });
    ///     }
    ///     me.children_closed().await; // all three are done
    /// });
    /// app.close_after_children().await.unwrap();
    /// # }
    /// ```
    pub fn children_closed(&self) -> impl Future<Output = ()> + Send + 'static {
        let p = self.clone();
        std::future::poll_fn(move |cx| {
            let mut st = p.inner.lock();
            if !st.edges().any(|e| e.kind().closes()) {
                return std::task::Poll::Ready(());
            }
            let waiters = &mut st.cold_alloc().children_waiters;
            if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
                waiters.push(cx.waker().clone());
            }
            std::task::Poll::Pending
        })
    }

    /// Runs `fut` until it completes or the process starts closing,
    /// whichever comes first: `Some(output)`, or `None` if the close came
    /// first (then `fut` is dropped at its current await). The usual
    /// `select!` on [`closing`](Self::closing), as one call (tgs:
    /// `cancel_on_shutdown`).
    ///
    /// # Cancel safety
    ///
    /// As cancel safe as `fut` itself.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    ///
    /// let app = goprocess::Process::new();
    /// let job = app.go(|me| async move {
    ///     let slow = tokio::time::sleep(Duration::from_secs(3600));
    ///     if me.until_closing(slow).await.is_none() {
    ///         println!("stopped before the hour was up");
    ///     }
    /// });
    /// app.close().await.unwrap();
    /// assert!(job.is_closed());
    /// # }
    /// ```
    pub fn until_closing<F>(
        &self,
        fut: F,
    ) -> impl Future<Output = Option<F::Output>> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send,
    {
        let closing = self.closing();
        async move {
            tokio::select! {
                biased;
                output = fut => Some(output),
                () = closing => None,
            }
        }
    }

    /// Its root: the process reached by following first parents up (itself
    /// for a root). `me.root().request_close()` asks the whole service to
    /// stop from any depth, without a handle passed down.
    ///
    /// ```
    /// let app = goprocess::Process::new();
    /// let db = goprocess::Process::with_parent(&app);
    /// let pool = goprocess::Process::with_parent(&db);
    /// assert_eq!(pool.root(), app);
    /// assert_eq!(app.root(), app);
    /// ```
    pub fn root(&self) -> Process {
        let mut at = self.clone();
        let mut seen = std::collections::HashSet::new();
        loop {
            seen.insert(at.id());
            let parent = at
                .inner
                .lock()
                .parent_links()
                .find_map(|(p, _)| p.upgrade());
            match parent {
                Some(parent) if !seen.contains(&parent.id()) => at = Process { inner: parent },
                _ => return at,
            }
        }
    }

    /// Why the process started closing: `None` while it runs. See
    /// [`CloseCause`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goprocess::CloseCause;
    ///
    /// let p = goprocess::go(|_| async {});
    /// p.closed().await;
    /// assert_eq!(p.close_cause(), Some(CloseCause::Returned));
    /// # }
    /// ```
    pub fn close_cause(&self) -> Option<CloseCause> {
        let stored = self.inner.lock().cause_stored();
        stored.resolve()
    }

    pub(crate) fn from_inner(inner: Arc<Inner>) -> Process {
        Process { inner }
    }

    /// Calls `f` with the lifecycle [`Event`](crate::events::Event)s of this
    /// process and of every process it reaches now or is linked under it
    /// later (see [`events`](crate::events)): closing, failed, closed,
    /// budget ran out, restarted, gave up. `f` runs on the thread where the
    /// event happens, outside every lock; keep it short.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::sync::{Arc, Mutex};
    /// use goprocess::events::Event;
    ///
    /// let app = goprocess::Process::new().named("app");
    /// let closed = Arc::new(Mutex::new(Vec::new()));
    /// let c = closed.clone();
    /// app.on_event(move |event| {
    ///     if let Event::Closed { process, .. } = event {
    ///         c.lock().unwrap().push(process.name().into_owned());
    ///     }
    /// });
    /// let _db = goprocess::Process::with_parent(&app).named("db");
    /// app.close().await.unwrap();
    /// assert_eq!(*closed.lock().unwrap(), ["db", "app"]);
    /// # }
    /// ```
    pub fn on_event(&self, f: impl Fn(&crate::events::Event) + Send + Sync + 'static) {
        self.observe(crate::events::Observer::Hook(Arc::new(f)));
    }

    /// Adds `observer` to this process and everything it reaches now; the
    /// processes linked under them later inherit it.
    pub(crate) fn observe(&self, observer: crate::events::Observer) {
        let added = [observer];
        graph::walk(self, (), |p, st, _| {
            if p.inner.is_background() {
                return graph::Below::Skip;
            }
            let observers = crate::events::Observers::adding(st.cold().observers.as_ref(), &added);
            st.cold_alloc().observers = Some(observers);
            graph::Below::Into((), st.targets(|_| true).collect())
        });
    }

    /// The name given by [`named`](Self::named), if any.
    pub fn name(&self) -> Option<Cow<'static, str>> {
        self.inner.lock().name()
    }

    /// A number unique to this process for the life of the program.
    pub fn id(&self) -> u64 {
        self.inner.id()
    }

    /// The token cancelled when this process starts closing (shared, made
    /// on first use), for `context::closing_token`. The background
    /// process's token is never cancelled.
    pub(crate) fn closing_token(&self) -> CancellationToken {
        let mut st = self.inner.lock();
        if let Some(token) = &st.cold().closing_token {
            return token.clone();
        }
        let token = CancellationToken::new();
        if st.step != Step::Running && !self.inner.is_background() {
            token.cancel();
        }
        st.cold_alloc().closing_token = Some(token.clone());
        token
    }

    /// Keeps the process from finishing its close until the returned guard
    /// is dropped (it counts as one pending wait, as a running function
    /// does): a `#[process]` struct holds itself while its edges are
    /// added, so a field's failure that closes it meanwhile finds every
    /// edge in place. No hold on a process that has finished closing.
    pub(crate) fn hold(&self) -> Hold {
        let mut st = self.inner.lock();
        if st.step.finished() || self.inner.is_background() {
            return Hold(None);
        }
        st.pending += 1;
        Hold(Some(self.clone()))
    }

    /// What `context` keeps for this process, made on first use; `true`
    /// when this call made it.
    pub(crate) fn context_bridge(&self) -> (Arc<crate::context::Bridge>, bool) {
        let mut st = self.inner.lock();
        if let Some(bridge) = &st.cold().context {
            return (bridge.clone(), false);
        }
        let bridge = Arc::new(crate::context::Bridge::default());
        st.cold_alloc().context = Some(bridge.clone());
        (bridge, true)
    }

    /// What `context` keeps for this process, if it keeps anything.
    pub(crate) fn context_bridge_if_any(&self) -> Option<Arc<crate::context::Bridge>> {
        self.inner.lock().cold().context.clone()
    }

    /// Closes the process with `error` as its own failure (unless it has
    /// one already), for `cause` (work refused after the process was made,
    /// a supervisor that gave up).
    pub(crate) fn fail(&self, error: Error, cause: Cause) {
        {
            let mut st = self.inner.lock();
            if st.step.finished() {
                return;
            }
            st.cold_alloc().function_error.get_or_insert(error);
        }
        Driver::close(self, cause);
    }

    /// Starts the first run of a supervised child in a new task: a new
    /// child of `self` (the supervisor, see
    /// [`prepare_run`](Self::prepare_run)) running `f`; `ends` hears of
    /// its end once it is Closed, and may go on with the child's next run
    /// in the same task (see `process/run.rs`). `None` if `self` has
    /// closed.
    pub(crate) fn start_run<F, Fut>(
        &self,
        handle: &tokio::runtime::Handle,
        run: RunOptions,
        f: Arc<F>,
        ends: impl RunEnds,
    ) -> Option<Process>
    where
        F: Fn(Process) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoProcessResult,
    {
        let run = self.prepare_run(run, None)?;
        run::spawn(handle, &run, f, ends);
        Some(run)
    }

    /// Makes a run of a supervised child, whose function is about to run
    /// in `task` (the task of the child's previous run, which goes on with
    /// this one; `None` for a new task, spawned by the caller): a new child
    /// of `self` (the supervisor) named `run.name`, linked so that `self`
    /// waits for it but neither closes it with its own close (the
    /// supervisor closes its runs one at a time) nor records or propagates
    /// its failures. `None` if `self` has closed. With `run.signals_ready`
    /// the run is not ready until its function calls `set_ready()`; the
    /// edge is no readiness link, so `self` watches its `ready()` itself.
    ///
    /// Before its function can run, the run is ordered against its
    /// siblings for the cycle check: it closes after `run.later` and before
    /// `run.earlier`, as a struct's sibling order is a wait (see
    /// [`add_child_after`](Self::add_child_after)), so a `wait_for` that
    /// contradicts the supervisor's shutdown order is refused with
    /// [`ErrorKind::Cycle`] instead of hanging that shutdown.
    pub(crate) fn prepare_run(
        &self,
        run: RunOptions,
        task: Option<tokio::task::JoinHandle<()>>,
    ) -> Option<Process> {
        let RunOptions {
            name,
            restarts,
            budget,
            signals_ready,
            earlier,
            later,
        } = run;
        // The running function counts as one pending wait of its run.
        let mut run = Process::fresh(Some(self), 1, None);
        {
            let inner = Arc::get_mut(&mut run.inner).expect("a fresh process has a single handle");
            let id = inner.id();
            inner.span().record("name", &*name);
            let st = inner.state_mut();
            // Installed before the link: a budget that escalates the run
            // finds its task.
            st.task = task;
            st.set_name(id, name);
            let cold = st.cold_alloc();
            cold.name_given = true;
            cold.restarts = restarts;
            cold.budget = budget;
            if !later.is_empty() {
                cold.after = later;
            }
            if signals_ready {
                // Not ready until its function says so; the supervisor
                // watches for it (a supervised edge is no readiness link).
                ready::declare_fresh(st, "set_ready()");
            }
        }
        graph::link_fresh_as(self, &mut run, true).ok()?;
        for sibling in &earlier {
            sibling.closes_after(&run);
        }
        Some(run)
    }

    /// Orders `self`, a running run of a supervised child, to close after
    /// `later` (a run of a child added after it) as far as cycles are
    /// concerned. Runs that have closed since are forgotten here, so a
    /// sibling restarted many times is held once.
    fn closes_after(&self, later: &Process) {
        let mut st = self.inner.lock();
        if st.step != Step::Running {
            return;
        }
        let after = &mut st.cold_alloc().after;
        after.retain(|p| !p.is_closed());
        after.push(later.clone());
    }

    /// Starts closing a run of a supervised child (see
    /// [`start_run`](Self::start_run)) for `why`; the future resolves once
    /// it is Closed, or once its own budget ran out and detached it from
    /// the supervisor, with its result (its `Timeout` then). Awaited
    /// inside the run itself, it resolves at once (the run cannot close
    /// before its function returns).
    pub(crate) fn close_run(
        &self,
        supervisor: &Process,
        why: RunClose,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let cause = match why {
            RunClose::Restart => Cause::named(Why::Restart, supervisor.name_ref()),
            RunClose::Shutdown => Cause::parent(supervisor),
            RunClose::Terminate => Cause::ASKED,
        };
        // A terminated run's failure is no restart's: listed, as the
        // supervisor lists those of the runs it closes when it closes.
        let lists = (why == RunClose::Terminate).then(|| (supervisor.clone(), self.clone()));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        self.hook(
            HookAt::Left,
            Box::new(move || {
                if let Some((supervisor, run)) = lists {
                    supervisor.record_result_of(&run);
                }
                let _ = tx.send(());
            }),
        );
        Driver::close(self, cause);
        let run = self.clone();
        async move {
            if !run.is_closed() && graph::waits_for_caller(&run) {
                return Ok(());
            }
            let _ = rx.await;
            run.result_left()
        }
    }

    /// Closes `runs` (runs of supervised children, in their order) the
    /// last first, each once the one after it is Closed or detached, with
    /// no task: for a supervisor whose own loop can no longer do it. A
    /// failure is listed in this supervisor's error.
    pub(crate) fn close_runs_in_order(&self, mut runs: Vec<Process>) {
        while let Some(run) = runs.pop() {
            Driver::close(&run, Cause::parent(self));
            if run.is_closed() {
                self.record_result_of(&run);
                continue;
            }
            let (supervisor, left) = (self.clone(), run.clone());
            run.hook(
                HookAt::Left,
                Box::new(move || {
                    supervisor.record_result_of(&left);
                    supervisor.close_runs_in_order(runs);
                }),
            );
            return;
        }
    }

    /// Lists the failure of `run`, if it failed.
    fn record_result_of(&self, run: &Process) {
        if let Err(e) = run.result_left() {
            self.record_failure(run, e);
        }
    }

    /// The result of a run that is Closed or was detached by its budget.
    fn result_left(&self) -> Result<(), Error> {
        let st = self.inner.lock();
        let cold = st.cold();
        match (&cold.error, &cold.timeout_error) {
            (Some(e), _) => Err(e.clone()),
            (None, Some(timeout)) if st.step != Step::Closed => Err(timeout.clone()),
            _ => Ok(()),
        }
    }

    /// Records the failure `error` of `run` among this process's failed
    /// children (a supervised child's failure that no restart handled).
    pub(crate) fn record_failure(&self, run: &Process, error: Error) {
        let name = run.inner.lock().name_ref(run.inner.id());
        close::record_failed_child(&mut self.inner.lock(), name, error);
    }

    /// Sets the supervisor's restart count, shown by snapshots; returns
    /// whether anyone subscribed to its events (one lock for both: a
    /// restart that nobody observes sends no event).
    pub(crate) fn set_restarts(&self, restarts: u64) -> bool {
        let mut st = self.inner.lock();
        let cold = st.cold_alloc();
        cold.restarts = restarts;
        cold.observers.as_ref().is_some_and(|o| o.has_hooks())
    }

    /// Marks this process as a supervisor whose children `view` lists
    /// (snapshots and reports read it).
    pub(crate) fn set_supervisor(&self, view: crate::supervise::View) {
        self.inner.lock().cold_alloc().supervisor = Some(view);
    }

    /// Names the process `name` unless it has a name, without recording
    /// it in its tracing span: a name given later is recorded there once,
    /// instead of beside this one (a default the span would print twice).
    pub(crate) fn name_quietly(&self, name: &'static str) {
        let mut st = self.inner.lock();
        if st.name().is_none() {
            st.set_name(self.inner.id(), Cow::Borrowed(name));
        }
    }

    /// Sends `event` to this process's subscribers, if any, after the
    /// events queued before it (see `close::Outbox`). Nothing is sent
    /// once its last events are queued (it is finishing, or Closed).
    pub(crate) fn emit(&self, event: impl FnOnce(ProcessRef) -> crate::events::Event) {
        let deliver = {
            let mut st = self.inner.lock();
            if st.step.finished() {
                return;
            }
            let Some(observers) = st.subscribers() else {
                return;
            };
            let event = event(ProcessRef(st.name_ref(self.inner.id())));
            st.cold_alloc()
                .outbox
                .push(close::Delivery::Event { observers, event })
        };
        if deliver {
            let mut d = Driver::default();
            d.push_deliver(self.clone());
            d.run();
        }
    }

    /// Starts the close because the signal `name` arrived.
    pub(crate) fn close_for_signal(&self, name: Cow<'static, str>) {
        {
            let mut st = self.inner.lock();
            if st.step != Step::Running {
                return;
            }
            st.cold_alloc().signal = Some(name);
        }
        Driver::close(self, Cause::of(Why::Signal));
    }

    /// Runs `f` once the process is Closed: on the thread that finished
    /// the close, outside every lock, after `closed()` waiters are woken;
    /// at once if it is Closed already; never for the background process.
    /// For crate-internal notifications that must not cost a task (closed
    /// tokens, sibling order).
    pub(crate) fn on_closed(&self, f: impl FnOnce() + Send + Sync + 'static) {
        self.hook(HookAt::Closed, Box::new(f));
    }

    /// Runs `f` once the process is Closed, as [`on_closed`](Self::on_closed)
    /// does, but *before* any thread can see it Closed: for releasing what
    /// the process held (a rate limiter's slot is free again by the time
    /// `closed()` resolves).
    pub(crate) fn on_release(&self, f: impl FnOnce() + Send + Sync + 'static) {
        self.hook(HookAt::Release, Box::new(f));
    }

    /// Runs `f` once the process starts closing (at once if it has), as
    /// [`on_closed`](Self::on_closed) does.
    pub(crate) fn on_closing(&self, f: impl FnOnce() + Send + Sync + 'static) {
        self.hook(HookAt::Closing, Box::new(f));
    }

    fn hook(&self, at: HookAt, f: state::Hook) {
        if self.inner.is_background() {
            return;
        }
        {
            let mut st = self.inner.lock();
            let passed = match at {
                HookAt::Closing => st.step != Step::Running,
                HookAt::Release | HookAt::Closed | HookAt::Left => st.step == Step::Closed,
            };
            if !passed {
                st.cold_alloc().hooks.push((at, f));
                return;
            }
        }
        f();
    }

    /// Adds `child` as a child that `self` waits for, but whose close
    /// starts only once `self` is closing *and* every process of `after`
    /// has closed (or been detached by its budget): sibling ordering for
    /// `#[child] #[wait_for(..)]` fields.
    ///
    /// Only the processes of `after` that `self` waits for count: one whose
    /// own link was refused (or that is no child of `self`) would never be
    /// closed by `self`, and would hold `child` open for ever. The order is
    /// a wait of `child` on each of `after` for the cycle check, so a
    /// sibling that already waits for `child` is refused with
    /// [`ErrorKind::Cycle`] (`child` is then linked as a plain child, so it
    /// still closes with `self`), and so is any later relation that would
    /// close such a cycle.
    pub(crate) fn add_child_after(
        &self,
        child: &Process,
        after: Vec<Process>,
    ) -> Result<(), Error> {
        // Each sibling's back-links name its edges here: looking them up
        // costs the sibling's parents, not all of `self`'s edges (a struct
        // ordered after a `Vec` of n children links in O(n), not O(n²)).
        let after: Vec<Process> = after
            .into_iter()
            .filter(|a| {
                let keys: Vec<u32> = a
                    .inner
                    .lock()
                    .parent_links()
                    .filter(|(parent, _)| std::ptr::eq(parent.as_ptr(), Arc::as_ptr(&self.inner)))
                    .map(|(_, key)| key)
                    .collect();
                let mut st = self.inner.lock();
                keys.into_iter()
                    .any(|key| st.edge_bits_mut(key, a).is_some_and(|bits| bits.waiting()))
            })
            .collect();
        if let Err(refused) = graph::link_with(self, child, EdgeKind::Child, &after) {
            if refused.kind() == ErrorKind::Cycle && !after.is_empty() {
                graph::link(self, child, EdgeKind::Child)?;
            }
            return Err(refused);
        }
        // One count per event still awaited: self closing, and each of
        // `after` gone. The last one starts the child's close.
        let remaining = Arc::new(std::sync::atomic::AtomicUsize::new(after.len() + 1));
        let arm = |remaining: &Arc<std::sync::atomic::AtomicUsize>| {
            let (remaining, child, me) = (Arc::clone(remaining), child.clone(), self.id());
            move || {
                if remaining.fetch_sub(1, std::sync::atomic::Ordering::AcqRel) == 1 {
                    let cause = Cause {
                        why: Why::Parent,
                        by: Some(cause::By::Parent(me)),
                        budgeted: false,
                    };
                    Driver::close(&child, cause);
                }
            }
        };
        self.on_closing(arm(&remaining));
        for sibling in &after {
            sibling.hook(HookAt::Left, Box::new(arm(&remaining)));
        }
        Ok(())
    }

    /// The process's name cell, for what shows its name later.
    pub(crate) fn name_ref(&self) -> crate::name::Name {
        self.inner.lock().name_ref(self.inner.id())
    }

    /// Whether this is the background process.
    pub(crate) fn is_background(&self) -> bool {
        self.inner.is_background()
    }

    /// The process's tracing span (a disabled one when tracing is off).
    pub(crate) fn span(&self) -> &tracing::Span {
        self.inner.span()
    }

    /// The name shown for this process: its name, or `#id`.
    pub(crate) fn display_name(&self) -> Cow<'static, str> {
        self.inner.lock().display_name(self.inner.id())
    }

    /// The processes it closes (its child edges, waited for or not), for
    /// the plans of a running `#[process]` struct.
    pub(crate) fn child_targets(&self) -> Vec<Process> {
        self.inner.lock().targets(|e| e.kind().closes()).collect()
    }

    /// For a supervisor: its children in their order (read from its view
    /// once the lock is released).
    pub(crate) fn supervised_children(&self) -> Option<Vec<crate::supervise::ChildInfo>> {
        let view = self.inner.lock().cold().supervisor.clone()?;
        Some(view.children())
    }

    fn refused(&self, kind: ErrorKind, detail: impl Into<Cow<'static, str>>) -> Error {
        Error::refused(kind, self.display_name(), detail)
    }

    fn refused_locked(&self, st: &State, kind: ErrorKind, detail: &'static str) -> Error {
        Error::refused(kind, st.display_name(self.inner.id()), detail)
    }

    /// Refuses to wait for the background process, which never closes.
    fn closes(&self) -> Result<(), Error> {
        if self.inner.is_background() {
            return Err(self.refused(
                ErrorKind::NeverCloses,
                "it cannot be closed or waited for; use a process made with Process::new()",
            ));
        }
        Ok(())
    }

    /// Resolves once the phase is at least `target` (never for the
    /// background process): an observer's wait, never cut short.
    pub(crate) fn wait_phase(&self, target: u8) -> waiters::PhaseWait {
        waiters::PhaseWait::new(&self.inner, target, false)
    }

    /// What a close action waits for: Closed, then the stored result; or
    /// `Ok(())` at once when waiting would wait for the caller itself (see
    /// [`close`](Self::close), "Closing from inside").
    async fn closed_result_unless_self_wait(&self) -> Result<(), Error> {
        if !self.is_closed() && graph::waits_for_caller(self) {
            return Ok(());
        }
        waiters::PhaseWait::new(&self.inner, CLOSED, true).await;
        if self.is_closed() {
            self.stored_result()
        } else {
            Ok(())
        }
    }

    /// What an observer waits for: Closed, then the stored result, however
    /// long that takes.
    async fn closed_result(&self) -> Result<(), Error> {
        self.wait_phase(CLOSED).await;
        self.stored_result()
    }

    /// The result of a Closed process.
    fn stored_result(&self) -> Result<(), Error> {
        match self.inner.lock().cold().error.clone() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// See [`Process::hold`].
#[must_use]
pub(crate) struct Hold(Option<Process>);

impl Drop for Hold {
    fn drop(&mut self) {
        let Some(p) = self.0.take() else { return };
        let mut d = Driver::default();
        let mut st = p.inner.lock();
        st.pending -= 1;
        close::advance_locked(&p, st, &mut d);
        d.run();
    }
}

/// What a run of a supervised child starts with (see
/// [`Process::start_run`]).
pub(crate) struct RunOptions {
    pub(crate) name: Cow<'static, str>,
    /// How many times the child was restarted before this run.
    pub(crate) restarts: u64,
    /// The run's own close budget (the child's `shutdown`).
    pub(crate) budget: Option<Duration>,
    /// The run calls `set_ready()` once it serves: it is not ready until
    /// then (the child's `signals_ready`).
    pub(crate) signals_ready: bool,
    /// The running runs of the children added before this one: they close
    /// after it.
    pub(crate) earlier: Vec<Process>,
    /// The running runs of the children added after this one: they close
    /// before it.
    pub(crate) later: Vec<Process>,
}

/// Why a supervisor closes a run (see [`Process::close_run`]); its close
/// cause says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RunClose {
    /// For a restart (its own, or a sibling's that takes it along).
    Restart,
    /// The supervisor is shutting down: its parent closes it.
    Shutdown,
    /// Terminated through its handle: asked.
    Terminate,
}

impl Default for Process {
    /// Same as [`Process::new`].
    fn default() -> Process {
        Process::new()
    }
}

impl PartialEq for Process {
    fn eq(&self, other: &Process) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for Process {}

impl Hash for Process {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.inner.id().hash(state);
    }
}

impl fmt::Debug for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.inner.lock();
        let mut d = f.debug_struct("Process");
        d.field("id", &self.inner.id());
        if let Some(name) = st.name() {
            d.field("name", &name);
        }
        let state = if self.inner.is_background() {
            "background"
        } else {
            st.step.name()
        };
        d.field("state", &state).finish()
    }
}
