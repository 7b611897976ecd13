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
//! 3. No helper task outlives its purpose: the task that waits for a token
//!    also stops when the process starts closing, and the task that waits
//!    for a process also stops when its token is cancelled (by anyone).
//!    [`closing_token`] and [`closed_token`] need no task at all.
//! 4. The background process never closes: bridging from it gives a token
//!    that is never cancelled, and bridging into it does nothing.
//! 5. Functions that may spawn a helper task need a tokio runtime (a clear
//!    panic otherwise); [`closing_token`] and [`closed_token`] do not.
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

use tokio_util::sync::CancellationToken;

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

/// Closes `p` when `token` is cancelled: at once if it is, else from a
/// task that also ends when `p` starts closing.
fn watch(handle: &tokio::runtime::Handle, p: &Process, token: CancellationToken) {
    if p.is_background() || p.is_closing() {
        return;
    }
    if token.is_cancelled() {
        tracing::debug!(parent: p.span(), "context: token already cancelled, closing");
        Driver::close(p, Cause::of(Why::Token));
        return;
    }
    let p = p.clone();
    drop(handle.spawn(async move {
        tokio::select! {
            biased;
            _ = p.closing() => {}
            _ = token.cancelled() => {
                tracing::debug!(parent: p.span(), "context: token cancelled, closing");
                Driver::close(&p, Cause::of(Why::Token));
            }
        }
    }));
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
/// Cancelling the returned token yourself does not affect `p`.
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
    let token = CancellationToken::new();
    let cancel = token.clone();
    // Cancelled by the close itself: no task, no runtime needed.
    p.on_closed(move || cancel.cancel());
    token
}
