//! Running process functions: `go`, `go_child` and `Process::go`.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::task::Poll;

use super::state::Step;
use super::{Driver, Process, close};
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

/// Runs `f` in a new tokio task as a new child of `parent` (or as a root
/// when `parent` is the background process).
#[track_caller]
pub(crate) fn go_in<F, Fut>(parent: &Process, f: F, after: AfterFunction, what: &str) -> Process
where
    F: FnOnce(Process) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoProcessResult,
{
    let handle = runtime::require(what);
    // The running function counts as one pending wait of its process.
    let child = Process::child_of(parent, 1, None);
    if child.is_closed() {
        return child; // the parent had closed: refused, `f` never runs
    }
    let guard = FunctionGuard {
        process: Some(child.clone()),
        after,
    };
    let me = child.clone();
    // One flat async block, not nested ones: every nested future would keep
    // its own copy of what it captures, and the task is copied and moved by
    // size (96 bytes for an empty function when nested, 40 now).
    let task = handle.spawn(async move {
        let mut guard = guard;
        let result = match catch_unwind(AssertUnwindSafe(move || f(me))) {
            Ok(fut) => {
                let mut fut = std::pin::pin!(fut);
                std::future::poll_fn(|cx| {
                    let polled = catch_unwind(AssertUnwindSafe(|| {
                        fut.as_mut()
                            .poll(cx)
                            .map(IntoProcessResult::into_process_result)
                    }));
                    match polled {
                        Ok(Poll::Pending) => Poll::Pending,
                        Ok(Poll::Ready(Ok(()))) => Poll::Ready(Ok(())),
                        Ok(Poll::Ready(Err(e))) => {
                            Poll::Ready(Err(Error::build(ErrorKind::Function, None, None, Some(e))))
                        }
                        Err(panic) => Poll::Ready(Err(panicked(&*panic))),
                    }
                })
                .await
            }
            Err(panic) => Err(panicked(&*panic)),
        };
        guard.finish(result);
    });
    let mut st = child.inner.lock();
    if st.function_running {
        st.task = Some(task);
    }
    drop(st);
    child
}

/// The error of a process function that panicked.
fn panicked(payload: &(dyn std::any::Any + Send)) -> Error {
    Error::build(
        ErrorKind::Panic,
        None,
        Some(crate::error::panic_message(payload)),
        None,
    )
}

/// Reports the end of a process function exactly once: with its result,
/// or with `Aborted` if its task is dropped first (aborted, or the runtime
/// shut down), so its process never waits for a function that is gone.
struct FunctionGuard {
    process: Option<Process>,
    after: AfterFunction,
}

impl FunctionGuard {
    fn finish(&mut self, result: Result<(), Error>) {
        let Some(p) = self.process.take() else { return };
        let force = result
            .as_ref()
            .is_err_and(|e| matches!(e.kind(), ErrorKind::Panic | ErrorKind::Aborted));
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
        if let Err(e) = result {
            st.function_error = Some(e);
        }
        // Under the same lock: a function that returned in a process
        // with nothing else pending closes it in this critical section.
        match (self.after, force) {
            (AfterFunction::CloseAfterChildren, false) => {
                st.close_when_idle = true;
                close::advance_locked(&p, st, &mut d);
            }
            _ if st.step == Step::Running => close::close_locked(&p, st, &mut d),
            _ => close::advance_locked(&p, st, &mut d),
        }
        d.run();
    }
}

impl Drop for FunctionGuard {
    fn drop(&mut self) {
        if self.process.is_some() {
            self.finish(Err(Error::build(
                ErrorKind::Aborted,
                None,
                Some("its task was dropped before the function returned (aborted, or its runtime shut down)".into()),
                None,
            )));
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
