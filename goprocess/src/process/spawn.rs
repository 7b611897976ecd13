//! Running process functions: `go`, `go_child` and `Process::go`.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::report::{Report, ReportOnce};
use super::state::{self, Step};
use super::{Cause, OnFailure, Why};
use super::{Driver, Process, close, current};
use crate::error::{Error, ErrorKind, IntoProcessResult};
use crate::runtime;

/// What a process does when its function returns by itself.
#[derive(Clone, Copy)]
pub(crate) enum AfterFunction {
    /// `Process::go` / `go_child`: wait for its own children to close by
    /// themselves, then close.
    CloseAfterChildren,
    /// The free `go`: close now (force-closing its children).
    Close,
}

/// Runs `f` in a new tokio task as the function of `process`, which
/// exists already (a `#[process]` struct's `#[run]`): `process` waits for it
/// like for a `go` function, and `after` says what its return does. On a
/// Closed `process`, `f` is dropped without running; returns whether it
/// was started.
#[track_caller]
pub(crate) fn run_in<F, Fut>(process: &Process, f: F, after: AfterFunction, what: &str) -> bool
where
    F: FnOnce(Process) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoProcessResult,
{
    let handle = runtime::require(what);
    {
        let mut st = process.inner.lock();
        if st.step.finished() || st.function_running || process.inner.is_background() {
            return false;
        }
        st.pending += 1;
        st.function_running = true;
    }
    spawn_function(&handle, process, f, after);
    true
}

/// Runs `f` in a new tokio task as a new child of `parent` (or as a root
/// when `parent` is the background process).
#[track_caller]
pub(crate) fn go_in<F, Fut>(parent: &Process, f: F, after: AfterFunction, what: &str) -> Process
where
    F: FnOnce(Process) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoProcessResult,
{
    go_configured(parent, f, after, what, false, |_| {})
}

/// [`go_in`], with `configure` applied to the child before its function
/// can start; with `signals_ready`, the child is not ready (nor its
/// ancestors) until its function calls `set_ready()`.
#[track_caller]
pub(crate) fn go_configured<F, Fut>(
    parent: &Process,
    f: F,
    after: AfterFunction,
    what: &str,
    signals_ready: bool,
    configure: impl FnOnce(&Process),
) -> Process
where
    F: FnOnce(Process) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoProcessResult,
{
    let handle = runtime::require(what);
    // The running function counts as one pending wait of its process.
    let child = Process::child_of(parent, 1, signals_ready.then_some("set_ready()"));
    configure(&child);
    if child.is_closed() {
        return child; // the parent had closed: refused, `f` never runs
    }
    spawn_function(&handle, &child, f, after);
    child
}

/// Spawns the task of `f`, the function of `process` (already counted in
/// its `pending`), and keeps its handle for a budget's escalation.
pub(super) fn spawn_function<F, Fut>(
    handle: &tokio::runtime::Handle,
    process: &Process,
    f: F,
    after: AfterFunction,
) where
    F: FnOnce(Process) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoProcessResult,
{
    let task = handle.spawn(FunctionTask {
        start: Some((f, process.clone())),
        running: None,
        end: ReportOnce::new(FunctionEnd {
            process: process.clone(),
            after,
        }),
    });
    let mut st = process.inner.lock();
    if st.function_running {
        st.task = Some(task);
    }
}

pin_project_lite::pin_project! {
    /// The task of a process function: calls `f` on its first poll, polls
    /// the future it returns (catching panics in both), and reports how it
    /// ended. A plain struct rather than an `async` block: the compiler
    /// laid the block out at 176 bytes for a 48-byte function future (88
    /// now), and tokio allocates, copies and moves a task by its size.
    struct FunctionTask<F, Fut> {
        start: Option<(F, Process)>,
        #[pin]
        running: Option<Fut>,
        // Declared last, so dropped last: an aborted task drops the
        // function's future before reporting the process `Aborted`.
        end: ReportOnce<FunctionEnd>,
    }

    impl<F, Fut> PinnedDrop for FunctionTask<F, Fut> {
        /// An aborted task (or one whose runtime shut down) drops the
        /// function's future here: what it holds is dropped as code of its
        /// process, as when it runs, so a drop guard that closes the app
        /// around it (`close_blocking` included) is a close from inside,
        /// not a wait for itself.
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            let Some(id) = this.end.to().map(|end| end.process.inner.id()) else {
                return;
            };
            let _running = current::Running::enter(id);
            this.running.set(None);
            *this.start = None;
        }
    }
}

impl<F, Fut> Future for FunctionTask<F, Fut>
where
    F: FnOnce(Process) -> Fut,
    Fut: Future,
    Fut::Output: IntoProcessResult,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let Some(id) = this.end.to().map(|end| end.process.inner.id()) else {
            return Poll::Ready(()); // reported already
        };
        // While the function runs, waits for its own process (or one that
        // waits for it) are cut short instead of deadlocking.
        let running = current::Running::enter(id);
        if let Some((f, me)) = this.start.take() {
            match catch_unwind(AssertUnwindSafe(move || f(me))) {
                Ok(fut) => this.running.set(Some(fut)),
                Err(panic) => {
                    drop(running);
                    this.end.finish(Err(panicked(&*panic)));
                    return Poll::Ready(());
                }
            }
        }
        let Some(fut) = this.running.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        let polled = catch_unwind(AssertUnwindSafe(|| {
            fut.poll(cx).map(IntoProcessResult::into_process_result)
        }));
        drop(running);
        let result = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(Ok(()))) => Ok(()),
            Ok(Poll::Ready(Err(e))) => Err(Error::returned(ErrorKind::Function, e)),
            Err(panic) => Err(panicked(&*panic)),
        };
        // What the function held is released before its process closes.
        this.running.set(None);
        this.end.finish(result);
        Poll::Ready(())
    }
}

/// The error of a process function that panicked.
pub(super) fn panicked(payload: &(dyn std::any::Any + Send)) -> Error {
    Error::panicked(crate::error::panic_message(payload))
}

/// Where a process function's end is reported: its process, which then
/// closes as `after` says.
pub(super) struct FunctionEnd {
    pub(super) process: Process,
    pub(super) after: AfterFunction,
}

impl Report for FunctionEnd {
    const DROPPED: &'static str =
        "its task was dropped before the function returned (aborted, or its runtime shut down)";

    fn report(self, result: Result<(), Error>) {
        let p = self.process;
        if let Err(e) = &result {
            match e.kind() {
                ErrorKind::Panic => tracing::debug!(
                    parent: p.inner.span(), panic = e.panic_message(), "process function panicked"
                ),
                _ => tracing::debug!(parent: p.inner.span(), error = %e, "process function failed"),
            }
        }
        let mut d = Driver::default();
        let mut st = p.inner.lock();
        st.pending -= 1;
        st.task = None;
        st.function_running = false;
        // After a panic or an abort its children are closed rather than
        // waited for, and so after any failure when it propagates: its
        // surroundings are to close promptly.
        let (force, why, propagating) = match result {
            // The usual end: it returned, in a process with no cold part.
            Ok(()) if !st.has_cold() => (false, Why::Returned, None),
            result => function_end_rare(&mut st, result),
        };
        // Under the same lock: a function that returned in a process
        // with nothing else pending closes it in this critical section.
        match (self.after, force) {
            (AfterFunction::CloseAfterChildren, false) => {
                st.idle_close = why;
                close::advance_locked(&p, st, &mut d);
            }
            _ if st.step == Step::Running => close::close_locked(&p, st, Cause::of(why), &mut d),
            _ => close::advance_locked(&p, st, &mut d),
        }
        // Its surroundings hear of the failure now, not once it is Closed.
        if let Some(error) = propagating {
            close::propagate_now(&p, error, &mut d);
        }
        d.run();
    }
}

/// The end of a function in a process with a cold part, or that failed:
/// whether its children are to be closed rather than waited for, why its
/// process closes, and the failure to pass on now if it propagates.
#[cold]
#[inline(never)]
fn function_end_rare(
    st: &mut crate::process::state::State,
    result: Result<(), Error>,
) -> (bool, Why, Option<Error>) {
    let result = match result {
        // It was to say when it serves, and returned without saying so
        // (not asked to: a close during its start is no failure).
        Ok(()) if st.cold().ready.self_pending && st.step == Step::Running => {
            Err(Error::start_failed(
                "its function returned before it was ready (it never called set_ready())",
            ))
        }
        result => result,
    };
    match result {
        Ok(()) => (false, Why::Returned, None),
        // Stopped on request (`abort`): no failure.
        Err(e) if e.kind() == ErrorKind::Aborted && st.cold().aborted => {
            (true, Why::Returned, None)
        }
        Err(e) => {
            let e = state::aborted_why(st, e);
            let propagates = st.cold().on_failure == OnFailure::Propagate;
            let force = matches!(e.kind(), ErrorKind::Panic | ErrorKind::Aborted) || propagates;
            let why = if st.cold().escalated {
                Why::Budget
            } else {
                Why::Failed
            };
            let propagating = propagates.then(|| e.clone());
            st.cold_alloc().function_error = Some(e);
            (force, why, propagating)
        }
    }
}

/// Runs `f` in a new tokio task, in a new root process that closes when
/// `f` returns (Go: `Go`). Closing the process from outside returns only
/// once `f` has returned.
///
/// # Panics
///
/// If no tokio runtime is running on this thread.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let p = goprocess::go(|me| async move {
///     let mut ticks = tokio::time::interval(std::time::Duration::from_millis(10));
///     loop {
///         tokio::select! {
///             _ = ticks.tick() => {}
///             _ = me.closing() => return,
///         }
///     }
/// });
/// p.close().await.unwrap();
/// # }
/// ```
#[doc(alias = "Spawn")]
#[track_caller]
pub fn go<F, Fut>(f: F) -> Process
where
    F: FnOnce(Process) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoProcessResult,
{
    go_in(
        &Process::background(),
        f,
        AfterFunction::Close,
        "goprocess::go",
    )
}

/// Runs `f` in a new tokio task, in a new child of `parent` (Go:
/// `GoChild`), registered before the task starts. Unlike Go, returns the
/// process `f` runs in, which closes by itself once `f` has returned and its
/// own children have closed: the same as [`Process::go`].
///
/// # Panics
///
/// If no tokio runtime is running on this thread.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let parent = goprocess::Process::new();
/// let child = goprocess::go_child(&parent, |_| async {});
/// child.closed().await;
/// parent.close().await.unwrap();
/// # }
/// ```
#[doc(alias = "GoChild", alias = "SpawnChild")]
#[track_caller]
pub fn go_child<F, Fut>(parent: &Process, f: F) -> Process
where
    F: FnOnce(Process) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoProcessResult,
{
    go_in(
        parent,
        f,
        AfterFunction::CloseAfterChildren,
        "goprocess::go_child",
    )
}
