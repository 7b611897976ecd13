//! Process trees with exactly-once, well-ordered teardown, for tokio.
//!
//! A port of Go's [`goprocess`](https://github.com/jbenet/goprocess), without
//! its known defects. A [`Process`] is a unit of work with a lifecycle: it
//! runs, is asked to close, closes its children, waits for what it depends
//! on, runs its teardown **exactly once**, and is closed. Processes form a
//! tree (a DAG, in fact), so one `close()` on the root shuts down a whole
//! service in the right order: leaves first, dependencies last.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), goprocess::Error> {
//! use goprocess::Process;
//!
//! let app = Process::new().named("app");
//! let db = Process::with_teardown(|| { println!("3. db closed"); Ok(()) }).named("db");
//! let http = Process::with_parent(&app).named("http");
//! app.add_child(&db)?;
//! http.set_teardown(|| { println!("2. http closed"); Ok(()) })?;
//! db.wait_for(&http)?;                       // the db outlives the server
//! http.go(|me| async move {
//!     me.closing().await;                    // serve until asked to stop
//!     println!("1. server drained");
//! });
//! app.close().await?;                        // prints 1, 2, 3
//! # Ok(())
//! # }
//! ```
//!
//! # Closing and Closed
//!
//! A process is **Running** until its first close. It is **Closing** from
//! then on: [`closing()`](Process::closing) resolves at once, which is the
//! signal for its work to stop. It is **Closed** once its teardown has
//! returned: [`closed()`](Process::closed) resolves, and the result is kept
//! for ever ([`err()`](Process::err)). [`close()`](Process::close) is
//! idempotent: every caller waits for Closed and gets the same result.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use goprocess::Process;
//!
//! let p = Process::with_async_teardown(|| async { Ok(()) });
//! let closing = p.closing();
//! let closed = p.closed();
//! assert!(!p.is_closing());
//! p.close().await.unwrap();
//! closing.await;
//! closed.await;
//! assert!(p.is_closing() && p.is_closed());
//! # }
//! ```
//!
//! # The three edges
//!
//! | relation | closes the target with `self` | `self` waits for the target |
//! |---|---|---|
//! | [`add_child`](Process::add_child) (and [`with_parent`](Process::with_parent), [`go`](Process::go)) | yes | yes |
//! | [`add_child_no_wait`](Process::add_child_no_wait) | yes | no |
//! | [`wait_for`](Process::wait_for) | no | yes |
//!
//! Closing a process goes in five steps: (1) mark it Closing; (2) close
//! every child, concurrently; (3) wait until every child and wait target is
//! Closed, including ones added meanwhile; (4) run the teardown; (5) mark it
//! Closed and remove it from its parents. So teardowns run leaves first, and
//! a process's teardown runs after everything it waits for has closed.
//!
//! ```
//! use goprocess::Process;
//! use std::sync::{Arc, Mutex};
//!
//! let order = Arc::new(Mutex::new(Vec::new()));
//! let log = |name: &'static str| {
//!     let order = order.clone();
//!     move || { order.lock().unwrap().push(name); Ok(()) }
//! };
//! let parent = Process::with_teardown(log("parent"));
//! let child = Process::with_teardown(log("child"));
//! let grandchild = Process::with_teardown(log("grandchild"));
//! parent.add_child(&child).unwrap();
//! child.add_child(&grandchild).unwrap();
//! parent.close_blocking().unwrap();
//! assert_eq!(*order.lock().unwrap(), ["grandchild", "child", "parent"]);
//! ```
//!
//! A relation that could never be honoured is refused with an error instead
//! of a panic or a hang: a relation on a closed process
//! ([`ErrorKind::Closed`]), a waiting cycle ([`ErrorKind::Cycle`]), waiting
//! for the [background](Process::background) process
//! ([`ErrorKind::NeverCloses`]).
//!
//! # go
//!
//! [`Process::go`] runs an async function in a tokio task, in a new child
//! process that it receives. The function should return once its process is
//! closing. When it returns by itself, its process closes once its own
//! children have; closing it from outside waits for the function to return.
//! The free function [`go`] makes a root process that closes when the
//! function returns.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use goprocess::Process;
//!
//! let server = Process::new();
//! for id in 0..3 {
//!     server.go(move |conn| async move {
//!         tokio::select! {
//!             _ = conn.closing() => println!("connection {id}: shutting down"),
//!             _ = std::future::pending::<()>() => {}
//!         }
//!     });
//! }
//! server.close().await.unwrap(); // returns once all three have returned
//! # }
//! ```
//!
//! # Teardown
//!
//! A teardown is a function (sync, or async) that runs exactly once, after
//! everything the process waits for has closed and before it is Closed. A
//! sync teardown runs on the thread that completes the close; an async one
//! runs as a tokio task. A teardown may use its own process: `close()` and
//! `err()` from inside it return at once (see [No hang](#no-hang-nothing-lost)),
//! relations are answered as for a closing process. A panicking teardown
//! closes its process with [`ErrorKind::Panic`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use goprocess::Process;
//!
//! let p = Process::new();
//! let me = p.clone();
//! p.set_async_teardown(move || async move {
//!     me.close().await?; // its own close: returns at once
//!     Ok(())
//! }).unwrap();
//! p.close().await.unwrap();
//! # }
//! ```
//!
//! # Errors
//!
//! A process's result is its own failure (a teardown or function that
//! returned `Err`, or panicked) and lists every child that failed, so
//! nothing that went wrong in a subtree is lost. [`Error::downcast_ref`]
//! finds your own error type anywhere in it.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use goprocess::{ErrorKind, Process};
//!
//! let app = Process::new().named("app");
//! app.go(|_| async { Err::<(), _>(std::io::Error::other("port in use")) });
//! let err = app.close().await.unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Children);
//! assert!(err.downcast_ref::<std::io::Error>().is_some());
//! println!("{err}"); // process `app`: children failed; 1 child failed: [...]
//! # }
//! ```
//!
//! # No hang, nothing lost
//!
//! What the crate guarantees, and what can still block. The **actions**
//! ([`close`](Process::close), [`close_within`](Process::close_within),
//! [`close_after_children`](Process::close_after_children),
//! [`close_blocking`](Process::close_blocking),
//! [`request_close`](Process::request_close)) change things; the
//! **observers** ([`closing`](Process::closing), [`closed`](Process::closed),
//! [`err`](Process::err), [`is_closing`](Process::is_closing),
//! [`is_closed`](Process::is_closed), events) only tell what happened.
//!
//! 1. **A relation that could never be honoured is refused** with an
//!    [`Error`] instead of hanging: on a closed process
//!    ([`ErrorKind::Closed`]), a waiting cycle, the sibling order of
//!    `#[process]` structs included ([`ErrorKind::Cycle`]), the background
//!    process as a child or wait target ([`ErrorKind::NeverCloses`]).
//! 2. **An action that would wait for itself returns at once.** A close
//!    called from inside a process function, a teardown or an event
//!    subscriber, on a process that waits (directly or not) for the
//!    caller's own process, could never see it Closed: the caller is what
//!    it waits for. So the close is started and the call returns `Ok(())`
//!    at once; the close finishes once the caller has returned, and its
//!    result is read from outside (the parent's error, or `err()`
//!    elsewhere). This is checked when the wait begins and when the
//!    awaited process starts closing, along the relations in place then,
//!    at any depth of nesting.
//! 3. **An observer never says more than it knows.** `closed()` resolves
//!    only once its process is Closed, and `err()` answers only then,
//!    wherever they are awaited. Awaited inside a process that the target
//!    waits for, they stay pending until the caller has returned (as in
//!    Go): select them against [`closing`](Process::closing) or a timeout
//!    there (a `debug` line says where such a wait begins).
//! 4. **Every event is delivered before the close is seen.** Each event
//!    subscriber gets each process's events in lifecycle order, all of
//!    them before `close()`, `closed()` and `err()` of that process
//!    resolve: a program that exits right after `close().await` has seen
//!    every event of its tree. A subscriber that panics is reported and
//!    skipped; one that closes things is a close from inside (rule 2).
//! 5. **Nothing is lost to a crash**: panics in functions and teardowns are
//!    caught ([`ErrorKind::Panic`]); a function whose task is dropped
//!    (aborted, or its runtime shut down) ends its process with
//!    [`ErrorKind::Aborted`], what it held dropped as code of its process;
//!    an async teardown whose runtime shut down before it started, or whose
//!    current-thread runtime nobody drives any more, runs on a small
//!    fallback runtime, once.
//! 6. **Nothing is lost in the errors**: a process's error lists every child
//!    that failed, even one that failed before it was linked (and a
//!    propagating one closes its new parent as if it had failed after the
//!    link), and names are read when shown (`parent.go(f).named("http")`
//!    says `http` even if `f` failed first).
//! 7. **A budget bounds every close**: [`close_within`](Process::close_within)
//!    and a [`close_timeout`](Process::close_timeout) return at their
//!    deadline whatever the subtree does, on every runtime flavour,
//!    aborting the tasks still running (by default), and the error names
//!    who was stuck.
//!
//! What can still block: a **sync teardown that blocks** blocks the thread
//! that runs it (whoever drives that close: the caller of `close()`,
//! `request_close()` or `close_blocking()`, a runtime worker, or, while a
//! budget counts, a thread of the blocking pool), since nothing can
//! interrupt it; a budget still returns on time. Without a budget,
//! `close()` waits for every process function to return, so a function
//! that ignores [`closing`](Process::closing) holds it, as does a wait
//! target outside the subtree that never closes, and an event subscriber
//! that blocks holds the close of the process it hears about. A wait for
//! oneself through something that is not a relation (a function awaiting
//! a task that awaits its own process's close) is not seen.
//! [`close_blocking`](Process::close_blocking) refuses to block a
//! current-thread runtime ([`ErrorKind::BlockingInRuntime`]).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use std::time::Duration;
//! use goprocess::Process;
//!
//! let server = Process::new().named("server");
//! let s = server.clone();
//! server.go(move |_conn| async move {
//!     // A "quit" command: ask the server this connection belongs to to
//!     // stop. The server waits for this very function, so the close is
//!     // started and the call returns at once.
//!     s.close().await.unwrap();
//!     // The observer does not pretend: the server cannot be Closed
//!     // before this function returns.
//!     let closed = tokio::time::timeout(Duration::from_millis(10), s.closed()).await;
//!     assert!(closed.is_err());
//! });
//! server.closed().await; // closed once the handler has returned
//! # }
//! ```
//!
//! # Runtimes and blocking
//!
//! Constructors, relations, `is_*`, `set_teardown` and
//! [`close_blocking`](Process::close_blocking) need no tokio runtime (plain
//! threads, `Drop`, FFI). [`go`](Process::go) and the functions that spawn
//! tasks need one, and panic with a message naming the fix otherwise.
//!
//! # Tracing
//!
//! Every process has a `tracing` span (`process{id, name}`, nested in its
//! parent's), and the lifecycle is reported at `debug` (closing, teardown
//! finished with its duration, teardown failed or panicked, closed) and
//! `trace` (teardown started). Nothing is printed unless a subscriber is
//! installed.
#![deny(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
pub mod events;
pub mod introspect;
mod name;
mod process;
mod runtime;
mod sync;

pub use error::{BoxError, ChildError, Error, ErrorKind, IntoProcessResult};
pub use introspect::{ShutdownReport, Snapshot, Timeline};
pub use process::{
    ChildBuilder, CloseCause, EdgeKind, Escalation, OnFailure, Process, ProcessRef, go, go_child,
};
mod structs;

// ---- sub-modules (Go's sub-packages) ----
pub mod context;
pub mod notify;
pub mod periodic;
pub mod ratelimit;
pub mod signal;
pub mod supervise;
// ---- end of sub-modules ----

/// A process closed by the first of some signals (Go: `WithSignals`).
/// Handlers are installed before this returns; the listeners go away when
/// the process starts closing, for any reason. See the [`signal`] module
/// for the rules, and [`signal::shutdown_signals`] for the usual shutdown
/// signals.
///
/// An empty set of signals gives a process that only closes by hand. The
/// same as `signal::Shutdown::new().signals(signals).start()`; for more
/// options (exiting on a second signal), see [`signal::Shutdown`].
///
/// # Panics
///
/// If no tokio runtime is running on this thread, if the runtime has no
/// I/O driver (build it with `enable_all()` or `enable_io()`; tokio's
/// panic says so), or if a signal cannot be handled (`SIGKILL`,
/// `SIGSTOP`, `SIGILL`, `SIGFPE`, `SIGSEGV`, or not a signal number).
/// [`signal::Shutdown::try_start`] returns the error instead.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use goprocess::signal::SignalKind;
///
/// let p = goprocess::with_signals([SignalKind::hangup(), SignalKind::terminate()]);
/// // … on SIGHUP or SIGTERM, `p` closes.
/// p.close().await.unwrap(); // closing it by hand removes the listeners
/// # }
/// ```
#[cfg(unix)]
#[doc(alias = "WithSignals")]
#[track_caller]
pub fn with_signals<I>(signals: I) -> Process
where
    I: IntoIterator<Item = signal::SignalKind>,
{
    signal::Shutdown::new().signals(signals).start()
}

#[doc(hidden)]
pub use structs::private as __private;
pub use structs::{AsProcess, Handle, LivePlan, ShutdownPlan, Start, StartupPlan};

/// The names most programs need: `use goprocess::prelude::*;`.
pub mod prelude {
    pub use crate::{AsProcess, Error, ErrorKind, Handle, Process, Start};
    #[cfg(feature = "macros")]
    pub use goprocess_macros::{init, process, run, teardown};
}

#[cfg(feature = "macros")]
#[doc(inline)]
pub use goprocess_macros::{init, process, run, teardown};

// ---- doctests of the Markdown guides in docs/: every `rust` block there
// is compiled and run by `cargo test -p goprocess --doc`. docs/macros.md is
// run by tests/ui_macros.rs instead.
/// docs/guide.md
#[cfg(doctest)]
#[doc = include_str!("../../docs/guide.md")]
pub struct GuideDoctests;
/// docs/migrating-from-go.md
#[cfg(doctest)]
#[doc = include_str!("../../docs/migrating-from-go.md")]
pub struct MigratingFromGoDoctests;
/// docs/comparison.md
#[cfg(doctest)]
#[doc = include_str!("../../docs/comparison.md")]
pub struct ComparisonDoctests;
/// docs/migrating-from-tgs.md
#[cfg(doctest)]
#[doc = include_str!("../../docs/migrating-from-tgs.md")]
pub struct MigratingFromTgsDoctests;
// ---- end of the docs/ doctests ----
