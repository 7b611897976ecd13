//! The task of a supervised child: its runs, one after the other.
//!
//! Each run of a supervised child is a fresh process running the child's
//! function (see `Process::start_run`). When a run closes as its function
//! returns (it has no child left and no async teardown) and its supervisor
//! restarts the child at once, the next run goes on in the same task,
//! after yielding once, instead of a new task: a restart then costs no
//! task. Otherwise (the run closes later, its task was dropped, the
//! restart waits for a backoff or for siblings to close) the supervisor
//! starts the next run in a new task.
//!
//! The task's `JoinHandle`, which a close budget uses to abort the task,
//! moves from each run to the next before the next run is linked, so a
//! budget always finds the task of the run it escalates.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::task::JoinHandle;

use super::report::Report;
use super::spawn::{AfterFunction, FunctionEnd, panicked};
use super::{Process, current};
use crate::error::{Error, ErrorKind, IntoProcessResult};

/// Where the runs of a supervised child report their ends: its
/// supervisor.
pub(crate) trait RunEnds: Clone + Send + Sync + 'static {
    /// `run` is Closed with `result`. `task` is the run's own task when it
    /// can go on with the child's next run (the run closed as its function
    /// returned): to run the next run there, make it with
    /// [`Process::prepare_run`] and this task, and return it.
    fn ended(
        &self,
        run: Process,
        result: Result<(), Error>,
        task: Option<JoinHandle<()>>,
    ) -> Option<Process>;
}

/// Spawns the task of `run`, the first run of a child whose function is
/// `f` (the runs restarted in this task call it again).
pub(super) fn spawn<F, Fut, R>(handle: &tokio::runtime::Handle, run: &Process, f: Arc<F>, ends: R)
where
    F: Fn(Process) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoProcessResult,
    R: RunEnds,
{
    let task = handle.spawn(RunTask {
        f,
        start: Some(run.clone()),
        running: None,
        end: RunEnd {
            run: Some(run.clone()),
            ends,
        },
    });
    let mut st = run.inner.lock();
    if st.function_running {
        st.task = Some(task);
    }
}

pin_project_lite::pin_project! {
    /// As `spawn::FunctionTask`, for the runs of one child, one after the
    /// other.
    struct RunTask<F, Fut, R: RunEnds> {
        f: Arc<F>,
        // The run whose function is still to be called.
        start: Option<Process>,
        #[pin]
        running: Option<Fut>,
        // Declared last, so dropped last: an aborted task drops the
        // function's future before reporting its run `Aborted`.
        end: RunEnd<R>,
    }
}

impl<F, Fut, R> Future for RunTask<F, Fut, R>
where
    F: Fn(Process) -> Fut,
    Fut: Future,
    Fut::Output: IntoProcessResult,
    R: RunEnds,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let Some(id) = this.end.run.as_ref().map(Process::id) else {
            return Poll::Ready(()); // reported already
        };
        // While the function runs, waits for its own process (or one that
        // waits for it) are cut short instead of deadlocking.
        let running = current::Running::enter(id);
        if let Some(me) = this.start.take() {
            let f = &**this.f;
            match catch_unwind(AssertUnwindSafe(move || f(me))) {
                Ok(fut) => this.running.set(Some(fut)),
                Err(panic) => {
                    drop(running);
                    return this.end.next(Err(panicked(&*panic)), this.start, cx);
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
        this.end.next(result, this.start, cx)
    }
}

/// The current run of a [`RunTask`], and where its end is reported:
/// exactly once, with `Aborted` if the task is dropped first.
struct RunEnd<R: RunEnds> {
    run: Option<Process>,
    ends: R,
}

impl<R: RunEnds> RunEnd<R> {
    /// Reports the end of the current run; when the next run goes on in
    /// this task, makes it the current one (to be started at the task's
    /// next poll: it yields first) and returns `Pending`.
    fn next(
        &mut self,
        result: Result<(), Error>,
        start: &mut Option<Process>,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        let Some(run) = self.run.take() else {
            return Poll::Ready(());
        };
        let task = run.inner.lock().task.take();
        match self.report(run, result, task) {
            Some(next) => {
                self.run = Some(next.clone());
                *start = Some(next);
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            None => Poll::Ready(()),
        }
    }

    /// Reports the end of `run`: closes it as a `go` child's function end
    /// does, then tells the supervisor once it is Closed.
    fn report(
        &self,
        run: Process,
        result: Result<(), Error>,
        task: Option<JoinHandle<()>>,
    ) -> Option<Process> {
        FunctionEnd {
            process: run.clone(),
            after: AfterFunction::CloseAfterChildren,
        }
        .report(result);
        if run.is_closed() {
            let result = run.stored_result();
            return self.ends.ended(run, result, task);
        }
        // It still waits for its children or its teardown: the supervisor
        // hears of it when it is Closed, and starts any next run anew.
        drop(task);
        let (ends, ended) = (self.ends.clone(), run.clone());
        run.on_closed(move || {
            let result = ended.stored_result();
            let _ = ends.ended(ended, result, None);
        });
        None
    }
}

impl<R: RunEnds> Drop for RunEnd<R> {
    fn drop(&mut self) {
        if let Some(run) = self.run.take() {
            let aborted = Error::aborted(<FunctionEnd as Report>::DROPPED);
            let _ = self.report(run, Err(aborted), None);
        }
    }
}
