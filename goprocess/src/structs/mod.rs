//! Support for `#[process]` structs: [`Handle`], [`AsProcess`], [`Start`],
//! [`ShutdownPlan`].
//!
//! The macros generate glue only; what the glue calls lives in
//! [`private`] (re-exported as the hidden `goprocess::__private`).

mod plan;
pub mod private;

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

pub use self::plan::ShutdownPlan;
use crate::{Error, Process};

/// Anything that is, or owns, one process: what `#[child]` and
/// `#[wait_for]` fields hold (directly, or as `Option<T>`, `Vec<T>` or
/// `[T; N]`).
///
/// Implemented for [`Process`], [`Handle<T>`] and
/// [`RateLimiter`](crate::ratelimit::RateLimiter), and through `&T`,
/// `Arc<T>` and `Box<T>` (so `Box<dyn AsProcess + Send + Sync>` too);
/// implement it for your own types that own a process.
///
/// ```
/// use goprocess::{AsProcess, Process};
///
/// struct Worker { process: Process }
/// impl AsProcess for Worker {
///     fn as_process(&self) -> &Process { &self.process }
/// }
///
/// let w = Worker { process: Process::new() };
/// assert!(!w.as_process().is_closing());
/// ```
pub trait AsProcess {
    /// The process this value is, or owns.
    fn as_process(&self) -> &Process;
}

impl AsProcess for Process {
    fn as_process(&self) -> &Process {
        self
    }
}

impl<T: AsProcess + ?Sized> AsProcess for &T {
    fn as_process(&self) -> &Process {
        (**self).as_process()
    }
}

impl<T: AsProcess + ?Sized> AsProcess for Arc<T> {
    fn as_process(&self) -> &Process {
        (**self).as_process()
    }
}

impl<T: AsProcess + ?Sized> AsProcess for Box<T> {
    fn as_process(&self) -> &Process {
        (**self).as_process()
    }
}

/// A started `#[process]` struct: the value (shared, read through `Deref`)
/// together with the process that owns it.
///
/// Cloning is cheap (two `Arc`s). Dropping handles does not close the
/// process: close it with [`Handle::close`].
///
/// Like `Arc`, a `Handle` derefs to your struct, so its own operations are
/// associated functions (`Handle::close(&app)`), not methods: a method
/// `close` on `Handle` would hide a `close` method of your struct behind
/// `app.close()`, silently, whenever the signatures happen to fit. Every
/// other operation is one step away, on [`process()`](Handle::process).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), goprocess::Error> {
/// use goprocess::prelude::*;
///
/// #[process]
/// struct Cache { capacity: usize }
///
/// let cache: Handle<Cache> = Cache { capacity: 128 }.start();
/// assert_eq!(cache.capacity, 128);          // Deref to the value
/// Handle::close(&cache).await?;
/// assert!(cache.process().is_closed());
/// # Ok(())
/// # }
/// ```
pub struct Handle<T> {
    process: Process,
    value: Arc<T>,
}

impl<T> Handle<T> {
    pub(crate) fn new(process: Process, value: Arc<T>) -> Handle<T> {
        Handle { process, value }
    }

    /// The process that owns the value.
    ///
    /// ```
    /// use goprocess::prelude::*;
    ///
    /// #[process]
    /// struct Db {}
    ///
    /// let db = Db {}.start();
    /// assert_eq!(db.process().name().as_deref(), Some("Db"));
    /// ```
    pub fn process(&self) -> &Process {
        &self.process
    }

    /// The shared value, for code that wants to keep it without the handle.
    pub fn value(&self) -> &Arc<T> {
        &self.value
    }

    /// Closes the struct's process and waits until it is Closed:
    /// [`Process::close`] of [`this.process()`](Handle::process). Its
    /// `#[run]` is asked to return, its `#[child]` fields close in their
    /// derived order, then its `#[teardown]` runs.
    ///
    /// # Cancel safety
    ///
    /// As for [`Process::close`]: dropping the future does not stop the
    /// close.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), goprocess::Error> {
    /// use goprocess::prelude::*;
    ///
    /// #[process]
    /// struct Db {}
    ///
    /// let db = Db {}.start();
    /// Handle::close(&db).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn close(this: &Self) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        this.process.close()
    }

    /// [`Process::close_within`] of [`this.process()`](Handle::process):
    /// closes it with a time budget.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), goprocess::Error> {
    /// use std::time::Duration;
    /// use goprocess::prelude::*;
    ///
    /// #[process]
    /// struct Db {}
    ///
    /// let db = Db {}.start();
    /// Handle::close_within(&db, Duration::from_secs(5)).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn close_within(
        this: &Self,
        budget: Duration,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        this.process.close_within(budget)
    }

    /// [`Process::closing`] of [`this.process()`](Handle::process):
    /// resolves once it starts closing.
    pub fn closing(this: &Self) -> impl Future<Output = ()> + Send + 'static {
        this.process.closing()
    }

    /// [`Process::closed`] of [`this.process()`](Handle::process):
    /// resolves once it is Closed (for a struct with `#[run]`: also once
    /// the run returned by itself and everything closed after it).
    pub fn closed(this: &Self) -> impl Future<Output = ()> + Send + 'static {
        this.process.closed()
    }

    /// [`Process::err`] of [`this.process()`](Handle::process): waits
    /// until it is Closed and returns its result.
    pub fn err(this: &Self) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        this.process.err()
    }
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Handle<T> {
        Handle {
            process: self.process.clone(),
            value: Arc::clone(&self.value),
        }
    }
}

impl<T> Deref for Handle<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> AsProcess for Handle<T> {
    fn as_process(&self) -> &Process {
        &self.process
    }
}

impl<T: fmt::Debug> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("process", &self.process)
            .field("value", &self.value)
            .finish()
    }
}

/// Starts a `#[process]` struct: makes its process (named after the type),
/// adds the edges its attributes declare, installs its `#[teardown]`, and
/// returns a [`Handle`].
///
/// Implemented by `#[process]`; not meant to be implemented by hand.
///
/// If an edge is refused (a field holds the background process, or a
/// process that already waits for this one), the new process is closed at
/// once and its error says which field and why.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), goprocess::Error> {
/// use goprocess::prelude::*;
///
/// #[process]
/// struct Http {}
///
/// let app = Process::new();
/// let http = Http {}.start_with_parent(&app);
/// app.close().await?;
/// assert!(http.process().is_closed());
/// # Ok(())
/// # }
/// ```
pub trait Start: Sized {
    /// Starts the value in a new root process.
    ///
    /// # Panics
    ///
    /// If the struct has a `#[run]` method and no tokio runtime is running
    /// on this thread (the run is spawned as a tokio task).
    #[track_caller]
    fn start(self) -> Handle<Self>;

    /// Starts the value in a new child of `parent`.
    ///
    /// # Panics
    ///
    /// As [`start`](Start::start).
    #[track_caller]
    fn start_with_parent(self, parent: &Process) -> Handle<Self>;

    /// The struct's derived shutdown order, and that of the `#[process]`
    /// structs nested in it, before anything runs: see [`ShutdownPlan`].
    ///
    /// ```
    /// use goprocess::prelude::*;
    ///
    /// #[process]
    /// struct App {
    ///     #[child]
    ///     http: Process,
    ///     #[child]
    ///     #[wait_for(http)]
    ///     db: Process,
    /// }
    ///
    /// assert_eq!(App::shutdown_plan().stages(), &[&["http"][..], &["db"]]);
    /// ```
    fn shutdown_plan() -> ShutdownPlan;
}

impl<T: private::Spec> Start for T {
    #[track_caller]
    fn start(self) -> Handle<Self> {
        private::start(self, None)
    }

    #[track_caller]
    fn start_with_parent(self, parent: &Process) -> Handle<Self> {
        private::start(self, Some(parent))
    }

    fn shutdown_plan() -> ShutdownPlan {
        private::plan_of::<T>()
    }
}
