//! Run a function periodically, or on each value of a stream (Go's
//! `periodicproc`).
//!
//! Every function here returns the *periodic process*: a process whose
//! function is a loop that waits for a trigger and then runs `f` in a new
//! child process (a *run*), as [`Process::go`] does.
//!
//! | function | trigger | runs |
//! |---|---|---|
//! | [`every`] | `interval` after the previous run has closed | one at a time |
//! | [`every_go`] | `interval` after the previous run started | may overlap |
//! | [`tick`] | a fixed-rate ticker | one at a time |
//! | [`tick_go`] | a fixed-rate ticker | may overlap |
//! | [`ticker`] | each item of a stream | one at a time (back-pressure) |
//! | [`ticker_go`] | each item of a stream | may overlap |
//! | [`on_signal`] | the same as [`ticker`], under Go's other name | one at a time |
//! | [`on_signal_go`] | the same as [`ticker_go`], under Go's other name | may overlap |
//!
//! # The rules
//!
//! 1. The first run comes one interval after the call, never at once (as
//!    Go's tickers; unlike [`tokio::time::interval`], whose first tick is
//!    immediate).
//! 2. Each run is a child of the periodic process: its
//!    [`closing`](Process::closing) fires when the periodic process
//!    closes, and closing the periodic process waits until every run in
//!    flight has closed. A run that fails or panics closes with that error
//!    (listed in the periodic process's [`Error::children`](crate::Error::children));
//!    later runs still happen.
//! 3. The sequential variants wait until a run has *closed* (its own
//!    children included) before waiting for the next trigger, so runs never
//!    overlap. The `_go` variants start a run on each trigger without
//!    waiting.
//! 4. Unlike Go (which spins on a closed channel), a stream that ends stops
//!    the loop: the periodic process then closes once the runs in flight
//!    have closed by themselves ([`Process::close_after_children`]).
//! 5. Missed ticks (a [`tick`] run longer than the interval, or an
//!    overloaded runtime) never burst: the default
//!    [`MissedTickBehavior::Skip`] is Go's ticker behaviour — at most one
//!    late tick fires at once, and the following ones stay on the original
//!    schedule. [`Builder::missed_tick_behavior`] changes it (it applies to
//!    [`tick`] and [`tick_go`]; [`every`] and [`every_go`] always wait a
//!    full interval).
//! 6. The loop is a good citizen of the runtime: each trigger spends from
//!    tokio's cooperative budget, so a stream that is always ready cannot
//!    keep the loop from yielding; a close always gets in (on a
//!    current-thread runtime too), and overlapping runs get to run.
//! 7. A zero interval is refused with a panic at the call (as
//!    [`tokio::time::interval`] does), naming the fix; never a busy loop.
//!    An interval shorter than 1 ms (tokio's timer resolution) is rounded
//!    up to 1 ms, so a tiny interval is not a busy loop either; one longer
//!    than 30 years is treated as 30 years (in effect, never).
//!
//! The free functions make root processes, like Go. To make the periodic
//! process a child of another process, or to change the missed-tick
//! behaviour, use a [`Builder`]:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! use std::time::Duration;
//! use goprocess::Process;
//! use goprocess::periodic::{Builder, MissedTickBehavior};
//!
//! let app = Process::new();
//! let flusher = Builder::new()
//!     .parent(&app)
//!     .missed_tick_behavior(MissedTickBehavior::Delay)
//!     .tick(Duration::from_secs(1), |_run| async { /* flush */ });
//! app.close().await.unwrap(); // closes the flusher too
//! assert!(flusher.is_closed());
//! # }
//! ```
//!
//! Every function needs a tokio runtime (it spawns the loop as a task), and
//! the interval functions its timers (each panics at the call otherwise,
//! naming the fix); they follow tokio's clock, so a paused test clock drives
//! them exactly.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_core::Stream;
use tokio::time::{Instant, Interval};

pub use tokio::time::MissedTickBehavior;

use crate::{IntoProcessResult, Process};

/// Intervals are capped here, so deadline arithmetic never overflows
/// (tokio's own "far future" is the same 30 years).
const MAX_INTERVAL: Duration = Duration::from_secs(60 * 60 * 24 * 365 * 30);

/// tokio's timer resolution. A shorter interval cannot be honoured, and a
/// ticker of 1 ns would run back to back: a busy loop.
const MIN_INTERVAL: Duration = Duration::from_millis(1);

/// Calls `f` in a new child process, then waits `interval` after that run
/// has closed, and repeats (Go: `Every`). The first run comes one
/// `interval` after the call, as in Go (unlike [`tokio::time::interval`],
/// whose first tick is immediate: for a run at once too, make that one
/// yourself before the call). Runs never overlap, and the gap between the
/// end of one run and the start of the next is at least `interval`.
///
/// Returns a new root process; see the [module docs](self) for the rules
/// and [`Builder::every`] for a child of another process.
///
/// # Panics
///
/// If `interval` is zero, no tokio runtime is running on this thread, or
/// its timers are disabled (build it with `enable_time` or `enable_all`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::time::Duration;
///
/// let runs = Arc::new(AtomicUsize::new(0));
/// let counter = runs.clone();
/// let p = goprocess::periodic::every(Duration::from_secs(1), move |_run| {
///     let counter = counter.clone();
///     async move { counter.fetch_add(1, Ordering::SeqCst); }
/// });
/// tokio::time::sleep(Duration::from_millis(3500)).await;
/// p.close().await.unwrap();
/// assert_eq!(runs.load(Ordering::SeqCst), 3);
/// # }
/// ```
#[doc(alias = "Every")]
#[track_caller]
pub fn every<F, Fut>(interval: Duration, f: F) -> Process
where
    F: FnMut(Process) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoProcessResult,
{
    Builder::new().every(interval, f)
}

/// Calls `f` in a new child process every `interval`, without waiting for
/// the previous run (Go: `EveryGo`): runs may overlap. The first run comes
/// one `interval` after the call.
///
/// Returns a new root process; see the [module docs](self) for the rules
/// and [`Builder::every_go`] for a child of another process.
///
/// # Panics
///
/// If `interval` is zero, no tokio runtime is running on this thread, or
/// its timers are disabled (build it with `enable_time` or `enable_all`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
///
/// // Each run lasts 5 s, so five of them overlap at once.
/// let p = goprocess::periodic::every_go(Duration::from_secs(1), |run| async move {
///     tokio::select! {
///         _ = tokio::time::sleep(Duration::from_secs(5)) => {}
///         _ = run.closing() => {}
///     }
/// });
/// tokio::time::sleep(Duration::from_secs(10)).await;
/// p.close().await.unwrap(); // the runs in flight see closing() and return
/// # }
/// ```
#[doc(alias = "EveryGo")]
#[track_caller]
pub fn every_go<F, Fut>(interval: Duration, f: F) -> Process
where
    F: FnMut(Process) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoProcessResult,
{
    Builder::new().every_go(interval, f)
}

/// Calls `f` in a new child process on each tick of a fixed-rate ticker of
/// period `interval` (Go: `Tick`). Runs never overlap: a run longer than
/// `interval` delays the next tick, and missed ticks are skipped, never
/// burst ([`MissedTickBehavior::Skip`]; see
/// [`Builder::missed_tick_behavior`]). The first tick comes one `interval`
/// after the call.
///
/// Returns a new root process; see the [module docs](self) for the rules
/// and [`Builder::tick`] for a child of another process.
///
/// # Panics
///
/// If `interval` is zero, no tokio runtime is running on this thread, or
/// its timers are disabled (build it with `enable_time` or `enable_all`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
///
/// let p = goprocess::periodic::tick(Duration::from_secs(1), |_run| async {
///     println!("fire!");
/// });
/// tokio::time::sleep(Duration::from_millis(3500)).await;
/// p.close().await.unwrap(); // printed "fire!" three times
/// # }
/// ```
#[doc(alias = "Tick")]
#[track_caller]
pub fn tick<F, Fut>(interval: Duration, f: F) -> Process
where
    F: FnMut(Process) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoProcessResult,
{
    Builder::new().tick(interval, f)
}

/// Calls `f` in a new child process on each tick of a fixed-rate ticker of
/// period `interval`, without waiting for the previous run (Go: `TickGo`):
/// runs may overlap. The first tick comes one `interval` after the call.
///
/// Returns a new root process; see the [module docs](self) for the rules
/// and [`Builder::tick_go`] for a child of another process.
///
/// # Panics
///
/// If `interval` is zero, no tokio runtime is running on this thread, or
/// its timers are disabled (build it with `enable_time` or `enable_all`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
///
/// let p = goprocess::periodic::tick_go(Duration::from_millis(100), |run| async move {
///     run.closing().await; // each run lives until the periodic process closes
/// });
/// tokio::time::sleep(Duration::from_millis(350)).await;
/// p.close().await.unwrap(); // closes the three runs, waits for them
/// # }
/// ```
#[doc(alias = "TickGo")]
#[track_caller]
pub fn tick_go<F, Fut>(interval: Duration, f: F) -> Process
where
    F: FnMut(Process) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoProcessResult,
{
    Builder::new().tick_go(interval, f)
}

/// Calls `f` in a new child process on each item of `ticks` (Go:
/// `Ticker`; [`on_signal`] is the same function under Go's other name);
/// the items themselves are dropped. Runs never overlap: the next item is
/// not asked for until the run has closed, so a bounded channel behind
/// `ticks` gives its senders back-pressure.
///
/// Unlike Go, when `ticks` ends the loop stops and the periodic process
/// closes. Returns a new root process; see the [module docs](self) for the
/// rules and [`Builder::ticker`] for a child of another process.
///
/// # Panics
///
/// If no tokio runtime is running on this thread.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
///
/// /// Three ticks, then the end.
/// struct Three(u8);
/// impl futures_core::Stream for Three {
///     type Item = ();
///     fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<()>> {
///         self.0 += 1;
///         Poll::Ready((self.0 <= 3).then_some(()))
///     }
/// }
///
/// let p = goprocess::periodic::ticker(Three(0), |_run| async {});
/// p.closed().await; // the stream ended: the process closed by itself
/// # }
/// ```
#[doc(alias = "Ticker")]
#[track_caller]
pub fn ticker<S, F, Fut>(ticks: S, f: F) -> Process
where
    S: Stream + Send + Unpin + 'static,
    F: FnMut(Process) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoProcessResult,
{
    Builder::new().ticker(ticks, f)
}

/// Calls `f` in a new child process on each item of `ticks`, without
/// waiting for the previous run (Go: `TickerGo`; [`on_signal_go`] is the
/// same function under Go's other name): runs may overlap.
///
/// Unlike Go, when `ticks` ends the loop stops, and the periodic process
/// closes once the runs in flight have closed by themselves. Returns a new
/// root process; see the [module docs](self) for the rules and
/// [`Builder::ticker_go`] for a child of another process.
///
/// # Panics
///
/// If no tokio runtime is running on this thread.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// # use std::pin::Pin;
/// # use std::task::{Context, Poll};
/// # struct Three(u8);
/// # impl futures_core::Stream for Three {
/// #     type Item = ();
/// #     fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<()>> {
/// #         self.0 += 1;
/// #         Poll::Ready((self.0 <= 3).then_some(()))
/// #     }
/// # }
/// // `Three` yields three items, then ends.
/// let p = goprocess::periodic::ticker_go(Three(0), |_run| async {
///     tokio::task::yield_now().await;
/// });
/// p.closed().await; // after the three runs have closed
/// # }
/// ```
#[doc(alias = "TickerGo")]
#[track_caller]
pub fn ticker_go<S, F, Fut>(ticks: S, f: F) -> Process
where
    S: Stream + Send + Unpin + 'static,
    F: FnMut(Process) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoProcessResult,
{
    Builder::new().ticker_go(ticks, f)
}

/// The same as [`ticker`], under the name Go gives it for a stream of
/// events rather than ticks (Go: `OnSignal`): calls `f` in a new child
/// process on each item of `signals`, one run at a time, and closes when
/// `signals` ends. [`ticker`] documents the details; for a child of another
/// process, use [`Builder::ticker`].
///
/// # Panics
///
/// If no tokio runtime is running on this thread.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
/// use tokio::sync::mpsc;
///
/// /// A tokio channel as a stream.
/// struct Rx(mpsc::Receiver<()>);
/// impl futures_core::Stream for Rx {
///     type Item = ();
///     fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
///         self.0.poll_recv(cx)
///     }
/// }
///
/// let (tx, rx) = mpsc::channel(1);
/// let p = goprocess::periodic::on_signal(Rx(rx), |_run| async { /* reload config */ });
/// tx.send(()).await.unwrap(); // waits while a run is in progress
/// drop(tx); // the stream ends: the process closes
/// p.closed().await;
/// # }
/// ```
#[doc(alias = "OnSignal")]
#[track_caller]
pub fn on_signal<S, F, Fut>(signals: S, f: F) -> Process
where
    S: Stream + Send + Unpin + 'static,
    F: FnMut(Process) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoProcessResult,
{
    let what = "goprocess::periodic::on_signal";
    Builder::new().items(signals, f, Runs::Sequential, what)
}

/// The same as [`ticker_go`], under the name Go gives it for a stream of
/// events rather than ticks (Go: `OnSignalGo`): calls `f` in a new child
/// process on each item of `signals` without waiting for the previous run.
/// [`ticker_go`] documents the details; for a child of another process,
/// use [`Builder::ticker_go`].
///
/// # Panics
///
/// If no tokio runtime is running on this thread.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// # use std::pin::Pin;
/// # use std::task::{Context, Poll};
/// # use tokio::sync::mpsc;
/// # struct Rx(mpsc::Receiver<u32>);
/// # impl futures_core::Stream for Rx {
/// #     type Item = u32;
/// #     fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
/// #         self.0.poll_recv(cx)
/// #     }
/// # }
/// // `Rx` is a tokio channel as a stream (see `on_signal`).
/// let (tx, rx) = mpsc::channel(8);
/// let p = goprocess::periodic::on_signal_go(Rx(rx), |run| async move {
///     run.closing().await; // long runs overlap
/// });
/// tx.send(1).await.unwrap();
/// tx.send(2).await.unwrap();
/// p.close().await.unwrap();
/// # }
/// ```
#[doc(alias = "OnSignalGo")]
#[track_caller]
pub fn on_signal_go<S, F, Fut>(signals: S, f: F) -> Process
where
    S: Stream + Send + Unpin + 'static,
    F: FnMut(Process) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoProcessResult,
{
    let what = "goprocess::periodic::on_signal_go";
    Builder::new().items(signals, f, Runs::Overlapping, what)
}

/// Makes periodic processes with options: a parent, and the missed-tick
/// behaviour of [`tick`](Builder::tick) and [`tick_go`](Builder::tick_go).
///
/// Its methods are the free functions of [this module](self) with the same
/// names and rules ([`on_signal`](fn@on_signal) and
/// [`on_signal_go`](fn@on_signal_go), Go's other names for
/// [`ticker`](fn@ticker) and [`ticker_go`](fn@ticker_go), are
/// [`ticker`](Builder::ticker) and [`ticker_go`](Builder::ticker_go) here); a
/// builder can make any number of processes.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use goprocess::Process;
/// use goprocess::periodic::Builder;
///
/// let server = Process::new();
/// let periodic = Builder::new().parent(&server);
/// let gc = periodic.every(Duration::from_secs(60), |_run| async { /* collect */ });
/// let stats = periodic.tick(Duration::from_secs(10), |_run| async { /* report */ });
/// server.close().await.unwrap();
/// assert!(gc.is_closed() && stats.is_closed());
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    parent: Process,
    missed_tick_behavior: MissedTickBehavior,
}

impl Default for Builder {
    /// Same as [`Builder::new`].
    fn default() -> Builder {
        Builder::new()
    }
}

impl Builder {
    /// A builder of root processes with [`MissedTickBehavior::Skip`]: what
    /// the free functions use.
    ///
    /// ```
    /// let builder = goprocess::periodic::Builder::new();
    /// # let _ = builder;
    /// ```
    pub fn new() -> Builder {
        Builder {
            parent: Process::background(),
            missed_tick_behavior: MissedTickBehavior::Skip,
        }
    }

    /// Makes each periodic process a child of `parent` (as
    /// [`Process::go`]): closed when `parent` closes, and `parent` waits for
    /// it. If `parent` has closed by the time a process is made, that
    /// process is returned already closed, with
    /// [`ErrorKind::ParentClosed`](crate::ErrorKind::ParentClosed), and `f`
    /// never runs.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use goprocess::{ErrorKind, Process};
    /// use goprocess::periodic::Builder;
    ///
    /// let parent = Process::new();
    /// parent.close().await.unwrap();
    /// let p = Builder::new().parent(&parent).every(Duration::from_secs(1), |_| async {});
    /// assert_eq!(p.err().await.unwrap_err().kind(), ErrorKind::ParentClosed);
    /// # }
    /// ```
    pub fn parent(mut self, parent: &Process) -> Builder {
        self.parent = parent.clone();
        self
    }

    /// What [`tick`](Builder::tick) and [`tick_go`](Builder::tick_go) do
    /// when ticks were missed (see [`MissedTickBehavior`]). The default,
    /// [`Skip`](MissedTickBehavior::Skip), is Go's: one late tick at once,
    /// then back on the original schedule. [`Delay`](MissedTickBehavior::Delay)
    /// restarts the schedule from the late tick;
    /// [`Burst`](MissedTickBehavior::Burst) fires every missed tick back to
    /// back, which Go never does.
    ///
    /// ```
    /// use goprocess::periodic::{Builder, MissedTickBehavior};
    ///
    /// let builder = Builder::new().missed_tick_behavior(MissedTickBehavior::Delay);
    /// # let _ = builder;
    /// ```
    pub fn missed_tick_behavior(mut self, behavior: MissedTickBehavior) -> Builder {
        self.missed_tick_behavior = behavior;
        self
    }

    /// [`every`](fn@every), as a child of this builder's parent.
    ///
    /// # Panics
    ///
    /// If `interval` is zero, no tokio runtime is running on this thread, or
    /// its timers are disabled (build it with `enable_time` or `enable_all`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// # use std::time::Duration;
    /// let parent = goprocess::Process::new();
    /// let builder = goprocess::periodic::Builder::new().parent(&parent);
    /// builder.every(Duration::from_secs(1), |_run| async {});
    /// parent.close().await.unwrap();
    /// # }
    /// ```
    #[track_caller]
    pub fn every<F, Fut>(&self, interval: Duration, f: F) -> Process
    where
        F: FnMut(Process) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoProcessResult,
    {
        let interval = checked_interval(interval, "goprocess::periodic::every");
        crate::runtime::require("goprocess::periodic::every");
        let trigger = Sleep::new(interval);
        self.start(trigger, f, Runs::Sequential, "goprocess::periodic::every")
    }

    /// [`every_go`](fn@every_go), as a child of this builder's parent.
    ///
    /// # Panics
    ///
    /// If `interval` is zero, no tokio runtime is running on this thread, or
    /// its timers are disabled (build it with `enable_time` or `enable_all`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// # use std::time::Duration;
    /// let parent = goprocess::Process::new();
    /// let builder = goprocess::periodic::Builder::new().parent(&parent);
    /// builder.every_go(Duration::from_secs(1), |_run| async {});
    /// parent.close().await.unwrap();
    /// # }
    /// ```
    #[track_caller]
    pub fn every_go<F, Fut>(&self, interval: Duration, f: F) -> Process
    where
        F: FnMut(Process) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoProcessResult,
    {
        let interval = checked_interval(interval, "goprocess::periodic::every_go");
        crate::runtime::require("goprocess::periodic::every_go");
        let trigger = Sleep::new(interval);
        self.start(
            trigger,
            f,
            Runs::Overlapping,
            "goprocess::periodic::every_go",
        )
    }

    /// [`tick`](fn@tick), as a child of this builder's parent, with its
    /// missed-tick behaviour.
    ///
    /// # Panics
    ///
    /// If `interval` is zero, no tokio runtime is running on this thread, or
    /// its timers are disabled (build it with `enable_time` or `enable_all`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// # use std::time::Duration;
    /// use goprocess::periodic::{Builder, MissedTickBehavior};
    ///
    /// let p = Builder::new()
    ///     .missed_tick_behavior(MissedTickBehavior::Burst)
    ///     .tick(Duration::from_secs(1), |_run| async {});
    /// p.close().await.unwrap();
    /// # }
    /// ```
    #[track_caller]
    pub fn tick<F, Fut>(&self, interval: Duration, f: F) -> Process
    where
        F: FnMut(Process) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoProcessResult,
    {
        let what = "goprocess::periodic::tick";
        let interval = checked_interval(interval, what);
        crate::runtime::require(what);
        let trigger = self.ticks(interval);
        self.start(trigger, f, Runs::Sequential, what)
    }

    /// [`tick_go`](fn@tick_go), as a child of this builder's parent, with
    /// its missed-tick behaviour.
    ///
    /// # Panics
    ///
    /// If `interval` is zero, no tokio runtime is running on this thread, or
    /// its timers are disabled (build it with `enable_time` or `enable_all`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// # use std::time::Duration;
    /// let parent = goprocess::Process::new();
    /// let builder = goprocess::periodic::Builder::new().parent(&parent);
    /// builder.tick_go(Duration::from_secs(1), |_run| async {});
    /// parent.close().await.unwrap();
    /// # }
    /// ```
    #[track_caller]
    pub fn tick_go<F, Fut>(&self, interval: Duration, f: F) -> Process
    where
        F: FnMut(Process) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoProcessResult,
    {
        let what = "goprocess::periodic::tick_go";
        let interval = checked_interval(interval, what);
        crate::runtime::require(what);
        let trigger = self.ticks(interval);
        self.start(trigger, f, Runs::Overlapping, what)
    }

    /// [`ticker`](fn@ticker), as a child of this builder's parent.
    ///
    /// # Panics
    ///
    /// If no tokio runtime is running on this thread.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # struct Never;
    /// # impl futures_core::Stream for Never {
    /// #     type Item = ();
    /// #     fn poll_next(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>)
    /// #         -> std::task::Poll<Option<()>> { std::task::Poll::Pending }
    /// # }
    /// // `Never` is a stream that never yields.
    /// let parent = goprocess::Process::new();
    /// goprocess::periodic::Builder::new().parent(&parent).ticker(Never, |_run| async {});
    /// parent.close().await.unwrap();
    /// # }
    /// ```
    #[doc(alias = "on_signal")]
    #[track_caller]
    pub fn ticker<S, F, Fut>(&self, ticks: S, f: F) -> Process
    where
        S: Stream + Send + Unpin + 'static,
        F: FnMut(Process) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoProcessResult,
    {
        let what = "goprocess::periodic::ticker";
        self.items(ticks, f, Runs::Sequential, what)
    }

    /// [`ticker_go`](fn@ticker_go), as a child of this builder's parent.
    ///
    /// # Panics
    ///
    /// If no tokio runtime is running on this thread.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # struct Never;
    /// # impl futures_core::Stream for Never {
    /// #     type Item = ();
    /// #     fn poll_next(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>)
    /// #         -> std::task::Poll<Option<()>> { std::task::Poll::Pending }
    /// # }
    /// // `Never` is a stream that never yields.
    /// let parent = goprocess::Process::new();
    /// goprocess::periodic::Builder::new().parent(&parent).ticker_go(Never, |_run| async {});
    /// parent.close().await.unwrap();
    /// # }
    /// ```
    #[doc(alias = "on_signal_go")]
    #[track_caller]
    pub fn ticker_go<S, F, Fut>(&self, ticks: S, f: F) -> Process
    where
        S: Stream + Send + Unpin + 'static,
        F: FnMut(Process) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoProcessResult,
    {
        let what = "goprocess::periodic::ticker_go";
        self.items(ticks, f, Runs::Overlapping, what)
    }

    /// A run on each item of `stream`: [`ticker`](Self::ticker) and
    /// [`ticker_go`](Self::ticker_go), and the free functions that are
    /// their Go-named counterparts.
    #[track_caller]
    fn items<S, F, Fut>(&self, stream: S, f: F, runs: Runs, what: &'static str) -> Process
    where
        S: Stream + Send + Unpin + 'static,
        F: FnMut(Process) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoProcessResult,
    {
        self.start(Items(stream), f, runs, what)
    }

    /// A fixed-rate ticker whose first tick is one period from now.
    fn ticks(&self, interval: Duration) -> Interval {
        let mut ticks = tokio::time::interval_at(Instant::now() + interval, interval);
        ticks.set_missed_tick_behavior(self.missed_tick_behavior);
        ticks
    }

    #[track_caller]
    fn start<T, F, Fut>(&self, trigger: T, f: F, runs: Runs, what: &'static str) -> Process
    where
        T: Trigger,
        F: FnMut(Process) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoProcessResult,
    {
        crate::runtime::require(what);
        let f = Arc::new(Mutex::new(f));
        crate::go_child(&self.parent, move |me| run_loop(me, trigger, f, runs, what))
    }
}

/// Refuses a zero interval (it would run back to back), rounds tiny ones
/// up to the timer's resolution and caps absurd ones, so deadline
/// arithmetic cannot overflow.
#[track_caller]
fn checked_interval(interval: Duration, what: &str) -> Duration {
    assert!(
        !interval.is_zero(),
        "{what}: the interval must be greater than zero (a zero interval would run `f` \
         back to back); pass a positive Duration such as `Duration::from_millis(100)`"
    );
    interval.clamp(MIN_INTERVAL, MAX_INTERVAL)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Runs {
    /// Wait for each run to close before waiting for the next trigger.
    Sequential,
    /// Start a run on each trigger.
    Overlapping,
}

/// What starts a run.
trait Trigger: Send + 'static {
    /// Waits for the next trigger; `false` when there will be none.
    fn next(&mut self) -> impl Future<Output = bool> + Send;
}

/// `interval` after the previous call (the first: after creation).
struct Sleep {
    interval: Duration,
    /// Made at once, on the caller's thread: a runtime without timers
    /// panics at the call (naming `enable_time`), not in the loop later.
    sleep: Pin<Box<tokio::time::Sleep>>,
    first: bool,
}

impl Sleep {
    #[track_caller]
    fn new(interval: Duration) -> Sleep {
        Sleep {
            interval,
            sleep: Box::pin(tokio::time::sleep(interval)),
            first: true,
        }
    }
}

impl Trigger for Sleep {
    async fn next(&mut self) -> bool {
        if !std::mem::take(&mut self.first) {
            self.sleep.as_mut().reset(Instant::now() + self.interval);
        }
        self.sleep.as_mut().await;
        true
    }
}

impl Trigger for Interval {
    async fn next(&mut self) -> bool {
        self.tick().await;
        true
    }
}

/// Each item of a stream.
struct Items<S>(S);

impl<S: Stream + Send + Unpin + 'static> Trigger for Items<S> {
    async fn next(&mut self) -> bool {
        // The item is dropped here, before any other await: items need not
        // be `Send`.
        poll_fn(|cx| Pin::new(&mut self.0).poll_next(cx))
            .await
            .is_some()
    }
}

async fn run_loop<T, F, Fut>(me: Process, mut trigger: T, f: Arc<Mutex<F>>, runs: Runs, what: &str)
where
    T: Trigger,
    F: FnMut(Process) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoProcessResult,
{
    let span = me.span();
    let mut closing = pin!(me.closing());
    let mut count: u64 = 0;
    loop {
        let more = tokio::select! {
            biased;
            _ = &mut closing => break,
            more = trigger.next() => more,
        };
        if !more {
            tracing::debug!(parent: span, kind = what, runs = count, "periodic: stream ended");
            return;
        }
        // A trigger that is always ready (a stream, a clock far behind)
        // would never give the scheduler its turn: nothing else would run
        // on a current-thread runtime, not even the close. Each trigger
        // spends from tokio's cooperative budget, which yields when it is
        // spent.
        tokio::task::coop::consume_budget().await;
        count += 1;
        let f = f.clone();
        let run = me.go(move |run| {
            let mut f = f.lock().unwrap_or_else(PoisonError::into_inner);
            (*f)(run)
        });
        tracing::trace!(parent: span, kind = what, run = run.id(), n = count, "periodic: run");
        if runs == Runs::Sequential {
            tokio::select! {
                biased;
                _ = &mut closing => break,
                _ = run.closed() => {}
            }
        }
    }
    tracing::debug!(parent: span, kind = what, runs = count, "periodic: closing");
}
