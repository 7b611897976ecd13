//! Teardowns: how they are stored, where they run, and how panics and
//! re-entrant calls are handled.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::report::{Report, ReportOnce};
use crate::error::{BoxError, Error, ErrorKind, IntoProcessResult, panic_message};
use crate::runtime;

pub(crate) type BoxFuture = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>;
pub(crate) type SyncTeardown = Box<dyn FnOnce() -> Result<(), BoxError> + Send>;

/// A process's teardown, run exactly once after its wait edges have closed.
pub(crate) enum Teardown {
    Sync(SyncTeardown),
    /// Boxed whole (with the runtime handle) to keep every process small.
    Async(Box<AsyncTeardown>),
}

/// An async teardown, and the runtime current when it was set, if any: it
/// prefers the runtime its resources were made on when closing happens
/// outside any runtime.
pub(crate) struct AsyncTeardown {
    pub(crate) make: Box<dyn FnOnce() -> BoxFuture + Send>,
    pub(crate) home: Option<tokio::runtime::Handle>,
}

impl Teardown {
    pub(crate) fn from_sync<F>(tf: F) -> Teardown
    where
        F: FnOnce() -> Result<(), BoxError> + Send + 'static,
    {
        Teardown::Sync(Box::new(tf))
    }

    pub(crate) fn from_async<F, Fut>(tf: F) -> Teardown
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoProcessResult,
    {
        Teardown::Async(Box::new(AsyncTeardown {
            make: Box::new(move || Box::pin(async move { tf().await.into_process_result() })),
            home: tokio::runtime::Handle::try_current().ok(),
        }))
    }
}

/// Runs a sync teardown here and now, catching a panic.
pub(crate) fn run_sync(id: u64, tf: SyncTeardown) -> Result<(), Error> {
    let _running = super::current::Running::enter(id);
    match catch_unwind(AssertUnwindSafe(tf)) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(Error::returned(ErrorKind::Teardown, e)),
        Err(payload) => Err(Error::panicked(panic_message(&*payload))),
    }
}

/// The error a teardown returned, as the process's error.
fn teardown_error(e: BoxError) -> Error {
    match e.downcast::<TeardownTimedOut>() {
        Ok(t) => Error::teardown_timed_out(t.0),
        Err(e) => Error::returned(ErrorKind::Teardown, e),
    }
}

/// What an async teardown with its own budget returns when the budget runs
/// out (see `__private::async_teardown_within`).
#[derive(Debug)]
pub(crate) struct TeardownTimedOut(pub(crate) std::time::Duration);

impl std::fmt::Display for TeardownTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the teardown did not finish within {:?}", self.0)
    }
}

impl std::error::Error for TeardownTimedOut {}

/// Starts an async teardown as a task; `done` receives its result exactly
/// once, even if the task is dropped (runtime shut down) before it ends.
pub(crate) fn spawn_async(
    id: u64,
    make: Box<dyn FnOnce() -> BoxFuture + Send>,
    home: Option<tokio::runtime::Handle>,
    done: impl FnOnce(Result<(), Error>) + Send + 'static,
) -> runtime::Task {
    let end = ReportOnce::new(TeardownEnd(Box::new(done)));
    let task = async move {
        let mut end = end;
        let result = {
            let _running = super::current::Running::enter(id);
            catch_unwind(AssertUnwindSafe(make))
        };
        let result = match result {
            Ok(fut) => catch_unwind_future(InTeardown { id, fut: Some(fut) })
                .await
                .map_err(Error::panicked)
                .and_then(|r| r.map_err(teardown_error)),
            Err(payload) => Err(Error::panicked(panic_message(&*payload))),
        };
        end.finish(result);
    };
    runtime::spawn_anywhere(home, task)
}

/// Where an async teardown's end is reported.
struct TeardownEnd(Box<dyn FnOnce(Result<(), Error>) + Send>);

impl Report for TeardownEnd {
    const DROPPED: &'static str =
        "its task was dropped before it finished (aborted, or its runtime shut down)";

    fn report(self, result: Result<(), Error>) {
        (self.0)(result);
    }
}

/// Marks each poll of an async teardown as running the process `id`, and
/// its drop (an aborted teardown drops what it holds as code of its
/// process too).
struct InTeardown<F> {
    id: u64,
    fut: Option<F>,
}

impl<F: Future + Unpin> Future for InTeardown<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _running = super::current::Running::enter(self.id);
        let fut = self.fut.as_mut().expect("polled after it was dropped");
        Pin::new(fut).poll(cx)
    }
}

impl<F> Drop for InTeardown<F> {
    fn drop(&mut self) {
        if self.fut.is_some() {
            let _running = super::current::Running::enter(self.id);
            self.fut = None;
        }
    }
}

/// Runs `fut`, turning a panic raised while polling it into its message.
pub(crate) async fn catch_unwind_future<F: Future>(
    fut: F,
) -> Result<F::Output, std::borrow::Cow<'static, str>> {
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(
        move |cx| match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(payload) => Poll::Ready(Err(panic_message(&*payload))),
        },
    )
    .await
}
