//! Bridges between processes and tokio-util's [`CancellationToken`] (Go's
//! `goprocessctx`, where the other side is a `context.Context`).
//!
//! | function | direction | Go |
//! |---|---|---|
//! | [`with_token`] | token cancelled → new process closes | `WithContext` |
//! | [`with_token_and_teardown`] | the same, with a teardown | `WithContextAndTeardown` |
//! | [`close_after_token`] | token cancelled → existing process closes | `CloseAfterContext` |
//! | [`wait_for_token`] | a process's close waits for the token | `WaitForContext` |
//! | [`closing_token`] | process closing → token cancelled | `WithProcessClosing` |
//! | [`closed_token`] | process closed → token cancelled | `WithProcessClosed` |
//!
//! # The rules
//!
//! 1. A token that is already cancelled takes effect before the function
//!    returns: the process is already closing (and, with nothing to wait
//!    for, closed).
//! 2. A process that is already closing (closed) gives a token that is
//!    already cancelled.
//! 3. No helper task outlives its purpose, and no call leaves anything
//!    behind once it has no more use: a process closes after its tokens
//!    ([`close_after_token`], [`with_token`]) through one task for all of
//!    them, which ends when the process starts closing or one of them is
//!    cancelled; [`closing_token`] and [`closed_token`] need no task at
//!    all, and keep nothing per call (a token you drop is gone).
//!    A token dropped by everyone else stays watched until the process
//!    closes, though: tokio-util gives no notice of it (it costs about a
//!    hundred bytes, and no task).
//! 4. The background process never closes: bridging from it gives a token
//!    that is never cancelled, and bridging into it does nothing.
//! 5. Functions that may spawn a helper task need a tokio runtime (a clear
//!    panic otherwise); [`closing_token`] and [`closed_token`] do not.
//! 6. A wait that could never end is refused: [`wait_for_token`] with
//!    the process's own [`closed_token`] (cancelled only once it is Closed)
//!    is ignored, with a tracing warning.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use goprocess::context;
//! use tokio_util::sync::CancellationToken;
//!
//! // A library that speaks tokens, under a process tree…
//! let app = goprocess::Process::new();
//! let token = context::closing_token(&app);
//! let server = tokio::spawn(async move { token.cancelled().await });
//!
//! // …and a process tree under code that speaks tokens.
//! let shutdown = CancellationToken::new();
//! let worker = context::with_token(shutdown.clone());
//!
//! shutdown.cancel();
//! worker.closed().await;
//! app.close().await.unwrap();
//! server.await.unwrap();
//! # }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::process::{Cause, Driver, Why};
use crate::{BoxError, Process};

/// A new root process that closes when `token` is cancelled (Go:
/// `WithContext`). If `token` is cancelled already, the process is returned
/// closed.
///
/// The helper task that waits for the token ends when the token is
/// cancelled or the process starts closing, whichever comes first.
///
/// # Panics
///
/// If no tokio runtime is running on this thread.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use tokio_util::sync::CancellationToken;
///
/// let token = CancellationToken::new();
/// let p = goprocess::context::with_token(token.clone());
/// token.cancel();
/// p.closed().await;
///
/// let cancelled = CancellationToken::new();
/// cancelled.cancel();
/// assert!(goprocess::context::with_token(cancelled).is_closed());
/// # }
/// ```
#[doc(alias = "WithContext")]
#[track_caller]
pub fn with_token(token: CancellationToken) -> Process {
    let handle = crate::runtime::require("goprocess::context::with_token");
    let p = Process::new();
    watch(&handle, &p, token);
    p
}

/// A new root process with teardown `tf`, that closes when `token` is
/// cancelled (Go: `WithContextAndTeardown`). If `token` is cancelled
/// already, the teardown has run when this returns.
///
/// The teardown's error is the process's error, as with
/// [`Process::with_teardown`].
///
/// # Panics
///
/// If no tokio runtime is running on this thread.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use tokio_util::sync::CancellationToken;
///
/// let token = CancellationToken::new();
/// let p = goprocess::context::with_token_and_teardown(token.clone(), || {
///     Err("flush failed".into())
/// });
/// token.cancel();
/// assert_eq!(p.err().await.unwrap_err().kind(), goprocess::ErrorKind::Teardown);
/// # }
/// ```
#[doc(alias = "WithContextAndTeardown")]
#[track_caller]
pub fn with_token_and_teardown<F>(token: CancellationToken, tf: F) -> Process
where
    F: FnOnce() -> Result<(), BoxError> + Send + 'static,
{
    let handle = crate::runtime::require("goprocess::context::with_token_and_teardown");
    let p = Process::with_teardown(tf);
    watch(&handle, &p, token);
    p
}

/// A new root process with an async teardown, that closes when `token` is
/// cancelled: [`with_token_and_teardown`] for an async teardown (see
/// [`Process::with_async_teardown`] for where it runs).
///
/// # Panics
///
/// If no tokio runtime is running on this thread.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use tokio_util::sync::CancellationToken;
///
/// let token = CancellationToken::new();
/// let p = goprocess::context::with_token_and_async_teardown(token.clone(), || async {
///     tokio::task::yield_now().await; // e.g. close a connection
///     Ok(())
/// });
/// token.cancel();
/// p.err().await.unwrap();
/// # }
/// ```
#[track_caller]
pub fn with_token_and_async_teardown<F, Fut>(token: CancellationToken, tf: F) -> Process
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
{
    let handle = crate::runtime::require("goprocess::context::with_token_and_async_teardown");
    let p = Process::with_async_teardown(tf);
    watch(&handle, &p, token);
    p
}

/// Makes `p` wait for `token` (Go: `WaitForContext`): `p` closes only
/// after `token` has been cancelled, but does not cancel it.
///
/// Done with a new process that closes when `token` is cancelled, which `p`
/// [waits for](Process::wait_for). If `token` is cancelled already, there is
/// nothing to wait for. If `p` has closed, or is the background process,
/// nothing happens (no task is left behind).
///
/// # Panics
///
/// If no tokio runtime is running on this thread.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use goprocess::Process;
/// use tokio_util::sync::CancellationToken;
///
/// let requests_done = CancellationToken::new();
/// let p = Process::new();
/// goprocess::context::wait_for_token(requests_done.clone(), &p);
///
/// let close = tokio::spawn(p.close());
/// tokio::task::yield_now().await;
/// assert!(p.is_closing() && !p.is_closed()); // waiting for the token
/// requests_done.cancel();
/// close.await.unwrap().unwrap();
/// # }
/// ```
#[doc(alias = "WaitForContext")]
#[track_caller]
pub fn wait_for_token(token: CancellationToken, p: &Process) {
    let handle = crate::runtime::require("goprocess::context::wait_for_token");
    if p.is_background() || p.is_closed() || token.is_cancelled() {
        return;
    }
    if p.context_bridge_if_any()
        .is_some_and(|bridge| bridge.closed == token)
    {
        tracing::warn!(
            parent: p.span(),
            process = %p.display_name(),
            "context::wait_for_token: ignored: the token is the process's own closed token, \
             cancelled only once the process is Closed, so the process would wait for itself \
             for ever; wait for a token of something else, or use closing_token"
        );
        return;
    }
    let q = Process::new();
    watch(&handle, &q, token);
    if p.wait_for(&q).is_err() {
        // `p` closed meanwhile: nobody waits for `q`, so end its helper.
        Driver::close(&q, Cause::ASKED);
    }
}

/// Closes `p` when `token` is cancelled (Go: `CloseAfterContext`). If
/// `token` is cancelled already, `p` is closing when this returns.
///
/// The helper task that waits for the token ends when the token is
/// cancelled or `p` starts closing, whichever comes first; if `p` is closing
/// already, or is the background process (which never closes), none is
/// spawned. Cancelling the token starts the close and does not wait for it:
/// await [`Process::closed`] for that.
///
/// # Panics
///
/// If no tokio runtime is running on this thread.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use goprocess::Process;
/// use tokio_util::sync::CancellationToken;
///
/// let token = CancellationToken::new();
/// let p = Process::new();
/// goprocess::context::close_after_token(&p, token.clone());
/// token.cancel();
/// p.closed().await;
/// # }
/// ```
#[doc(alias = "CloseAfterContext")]
#[track_caller]
pub fn close_after_token(p: &Process, token: CancellationToken) {
    let handle = crate::runtime::require("goprocess::context::close_after_token");
    watch(&handle, p, token);
}

/// Closes `p` when `token` is cancelled: at once if it is, else from the
/// one task that watches all of `p`'s tokens, which ends when `p` starts
/// closing.
fn watch(handle: &tokio::runtime::Handle, p: &Process, token: CancellationToken) {
    if p.is_background() || p.is_closing() {
        return;
    }
    if token.is_cancelled() {
        tracing::debug!(parent: p.span(), "context: token already cancelled, closing");
        Driver::close(p, Cause::of(Why::Token));
        return;
    }
    let watch = bridge(p).watch.clone();
    let (spawn, task) = {
        let mut st = watch.lock();
        if st.done {
            return; // `p` is closing: nothing to watch for
        }
        st.inbox.push(token);
        let spawn = !st.running;
        st.running = true;
        (spawn, st.task.clone())
    };
    if spawn {
        drop(handle.spawn(Watcher {
            process: p.clone(),
            closing: Box::pin(p.closing()),
            watch,
            waits: Vec::new(),
        }));
    } else if let Some(task) = task {
        task.wake();
    }
}

/// What this module keeps for `p`, made on first use.
fn bridge(p: &Process) -> Arc<Bridge> {
    let (bridge, made) = p.context_bridge();
    if made {
        // Its closed token is cancelled by the close itself: no task, no
        // runtime needed.
        let cancel = bridge.closed.clone();
        p.on_closed(move || cancel.cancel());
    }
    bridge
}

/// What this module keeps for a process (in its cold part, made on first
/// use).
#[derive(Default)]
pub(crate) struct Bridge {
    /// What [`closed_token`] hands out, clones of one token per process:
    /// a call keeps nothing once its token is dropped, and a wait for it
    /// can be recognised ([`wait_for_token`]). Cancelled by one hook once
    /// the process is Closed.
    closed: CancellationToken,
    /// The tokens the process closes after.
    watch: Arc<Watch>,
}

/// The tokens a process closes after, and the one task that watches them.
/// It is also the waker each token's wait is registered with: a wake is a
/// cancellation.
#[derive(Default)]
struct Watch(Mutex<WatchState>);

#[derive(Default)]
struct WatchState {
    /// Tokens the task has not registered yet.
    inbox: Vec<CancellationToken>,
    /// The task's waker, once it has run.
    task: Option<Waker>,
    /// A task watches (or is about to).
    running: bool,
    /// A watched token was cancelled.
    fired: bool,
    /// The process started closing: nothing more is watched.
    done: bool,
}

impl Watch {
    fn lock(&self) -> std::sync::MutexGuard<'_, WatchState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Wake for Watch {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let task = {
            let mut st = self.lock();
            st.fired = true;
            st.task.clone()
        };
        if let Some(task) = task {
            task.wake();
        }
    }
}

/// The task that closes a process after its tokens: registers each token
/// once (its wait wakes [`Watch`], not the task), and ends when the process
/// starts closing or a token is cancelled.
struct Watcher {
    process: Process,
    closing: Pin<Box<dyn Future<Output = ()> + Send>>,
    watch: Arc<Watch>,
    waits: Vec<Pin<Box<WaitForCancellationFutureOwned>>>,
}

impl Future for Watcher {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        if this.closing.as_mut().poll(cx).is_ready() {
            this.stop(true);
            return Poll::Ready(());
        }
        let (new, mut fired) = {
            let mut st = this.watch.lock();
            if !st.task.as_ref().is_some_and(|t| t.will_wake(cx.waker())) {
                st.task = Some(cx.waker().clone());
            }
            (std::mem::take(&mut st.inbox), st.fired)
        };
        let waker = Waker::from(this.watch.clone());
        let mut by_watch = Context::from_waker(&waker);
        for token in new {
            if fired {
                break;
            }
            let mut wait = Box::pin(token.cancelled_owned());
            match wait.as_mut().poll(&mut by_watch) {
                Poll::Ready(()) => fired = true,
                Poll::Pending => this.waits.push(wait),
            }
        }
        if !fired {
            return Poll::Pending;
        }
        tracing::debug!(parent: this.process.span(), "context: token cancelled, closing");
        Driver::close(&this.process, Cause::of(Why::Token));
        this.stop(true);
        Poll::Ready(())
    }
}

impl Watcher {
    /// Ends the watch: `done` once the process is closing (nothing is
    /// watched again); else (the task dropped with its runtime) a later
    /// call starts another task.
    fn stop(&mut self, done: bool) {
        let inbox = {
            let mut st = self.watch.lock();
            st.running = false;
            st.task = None;
            st.done |= done;
            if done {
                std::mem::take(&mut st.inbox)
            } else {
                Vec::new()
            }
        };
        drop(inbox);
        self.waits.clear();
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        if self.watch.lock().running {
            self.stop(false);
        }
    }
}

/// A token cancelled when `p` starts closing (Go: `WithProcessClosing`),
/// already cancelled if `p` is closing. Never cancelled for the background
/// process.
///
/// Needs no runtime and spawns no task: it is a
/// [child](CancellationToken::child_token) of one token the process keeps
/// for this. Cancelling the returned token
/// yourself does not close `p`, nor cancel other tokens handed out for it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let p = goprocess::Process::new();
/// let token = goprocess::context::closing_token(&p);
/// let server = tokio::spawn(async move {
///     token.cancelled().await; // e.g. axum's with_graceful_shutdown
/// });
/// p.close().await.unwrap();
/// server.await.unwrap();
/// # }
/// ```
#[doc(alias = "WithProcessClosing", alias = "OnClosingContext")]
pub fn closing_token(p: &Process) -> CancellationToken {
    p.closing_token().child_token()
}

/// A token cancelled once `p` has closed, its teardown done (Go:
/// `WithProcessClosed`); already cancelled if `p` is closed. Never cancelled
/// for the background process.
///
/// Needs no runtime and spawns no task: the close itself cancels it.
/// Every call for one process returns a clone of the same token, so a call
/// keeps nothing once the token is dropped, and a wait for it
/// ([`wait_for_token`]) can be recognised: cancelling it yourself does not
/// affect `p`, but cancels the other closed tokens of `p` too; give code
/// that may cancel its token a [`child_token`](CancellationToken::child_token).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let db = goprocess::Process::with_teardown(|| Ok(()));
/// let token = goprocess::context::closed_token(&db);
/// db.close().await.unwrap();
/// token.cancelled().await; // the teardown has run
/// # }
/// ```
#[doc(alias = "WithProcessClosed", alias = "OnClosedContext")]
pub fn closed_token(p: &Process) -> CancellationToken {
    if p.is_background() {
        return CancellationToken::new();
    }
    let token = bridge(p).closed.clone();
    if p.is_closed() {
        // Made by another thread whose hook may not have run yet.
        token.cancel();
    }
    token
}
