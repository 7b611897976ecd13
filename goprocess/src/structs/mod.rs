//! Support for `#[process]` structs: [`Handle`], [`AsProcess`], [`Start`],
//! [`ShutdownPlan`], [`StartupPlan`].
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

pub use self::plan::{LivePlan, ShutdownPlan, StartupPlan};
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

    /// [`Process::ready`] of [`this.process()`](Handle::process): `Ok` once
    /// the struct is ready (its `#[init]` returned `Ok`, and every
    /// `#[child]` field is ready), `Err` with
    /// [`ErrorKind::StartFailed`](crate::ErrorKind::StartFailed) if it
    /// closes before that.
    ///
    /// # Errors
    ///
    /// As [`Process::ready`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future only stops waiting.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), goprocess::Error> {
    /// use goprocess::prelude::*;
    ///
    /// #[process]
    /// struct Db {}
    ///
    /// impl Db {
    ///     #[init]
    ///     async fn connect(&self) -> Result<(), std::io::Error> {
    ///         Ok(()) // connect, migrate…
    ///     }
    /// }
    ///
    /// let db = Db {}.start();
    /// Handle::ready(&db).await?;
    /// Handle::close(&db).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn ready(this: &Self) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        this.process.ready()
    }

    /// Starts a struct built with [`Start::prepare`]: its `#[init]`, then
    /// its prepared `#[child]` fields in its derived start order, then its
    /// `#[run]`. Nothing if it was launched already, was started with
    /// [`start`](Start::start), or is closing (a prepared struct closed
    /// before its launch never runs anything but its teardown).
    ///
    /// A prepared struct adopted as a `#[child]` field is launched by the
    /// struct that adopts it, in that struct's start order: launch only the
    /// outermost one.
    ///
    /// # Panics
    ///
    /// If the struct (or a prepared part of it) has an `#[init]` or a
    /// `#[run]` and no tokio runtime is running on this thread.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), goprocess::Error> {
    /// use goprocess::prelude::*;
    ///
    /// #[process]
    /// struct Http {}
    ///
    /// impl Http {
    ///     #[run]
    ///     async fn serve(&self, me: Process) {
    ///         me.closing().await;
    ///     }
    /// }
    ///
    /// let http = Http {}.prepare();
    /// assert!(!http.process().is_ready()); // built, not started
    /// Handle::launch(&http);
    /// Handle::ready(&http).await?;
    /// Handle::close(&http).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn launch(this: &Self) {
        crate::process::ready::launch(&this.process);
    }
}

impl<T: private::Spec> Handle<T> {
    /// The struct's [shutdown plan](Start::shutdown_plan), read with the
    /// running struct: a [`Supervisor`](crate::supervise::Supervisor)
    /// field shows its children as they are now, in the order it closes
    /// them (children are added at run time, so the plan derived from the
    /// type cannot list them). Through nested `#[process]` structs too.
    ///
    /// ```
    /// use goprocess::prelude::*;
    ///
    /// #[process]
    /// struct App {
    ///     #[child]
    ///     http: Process,
    /// }
    ///
    /// let app = App { http: Process::new() }.start();
    /// assert_eq!(Handle::shutdown_plan(&app).stages(), App::shutdown_plan().stages());
    /// ```
    pub fn shutdown_plan(this: &Self) -> LivePlan<ShutdownPlan> {
        LivePlan::new(T::shutdown_plan(), this.process.clone())
    }

    /// The struct's [startup plan](Start::startup_plan), read with the
    /// running struct: a [`Supervisor`](crate::supervise::Supervisor)
    /// field shows its children as they are now, in the order it starts
    /// them (one at a time, each once the one before is ready).
    ///
    /// ```
    /// use goprocess::prelude::*;
    ///
    /// #[process]
    /// struct App {
    ///     #[child]
    ///     http: Process,
    /// }
    ///
    /// let app = App { http: Process::new() }.start();
    /// assert_eq!(Handle::startup_plan(&app).to_string(), "App\n└── 1. http\n");
    /// ```
    pub fn startup_plan(this: &Self) -> LivePlan<StartupPlan> {
        LivePlan::new(T::startup_plan(), this.process.clone())
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
/// adds the edges its attributes declare, installs its `#[teardown]`,
/// starts it in its derived order (its `#[init]`, then its prepared
/// `#[child]` fields stage by stage, then its `#[run]`), and returns a
/// [`Handle`].
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

    /// Builds the struct's process (named, with its edges and teardown)
    /// and runs nothing: not its `#[init]`, not its `#[run]`, not its
    /// prepared fields. It is not ready until it is launched: by the
    /// `#[process]` struct that adopts it as a `#[child]` field, in that
    /// struct's derived start order (when that struct starts, or is
    /// launched itself), or by [`Handle::launch`].
    ///
    /// A prepared struct that is never launched runs nothing; it closes
    /// like any process (its teardown runs), and its `ready()` is an
    /// [`ErrorKind::StartFailed`](crate::ErrorKind::StartFailed) error once
    /// it is closing.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), goprocess::Error> {
    /// use goprocess::prelude::*;
    ///
    /// #[process]
    /// struct Db {}
    ///
    /// impl Db {
    ///     #[init]
    ///     async fn connect(&self) {}
    /// }
    ///
    /// #[process]
    /// struct Http {}
    ///
    /// #[process]
    /// struct App {
    ///     #[child]
    ///     http: Handle<Http>,
    ///     #[child]
    ///     #[wait_for(http)]
    ///     db: Handle<Db>, // closes after http, so it is ready before http starts
    /// }
    ///
    /// let app = App { http: Http {}.prepare(), db: Db {}.prepare() }.start();
    /// Handle::ready(&app).await?; // db connected, then http started
    /// Handle::close(&app).await?;
    /// # Ok(())
    /// # }
    /// ```
    fn prepare(self) -> Handle<Self>;

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

    /// The struct's derived start order, and that of the `#[process]`
    /// structs nested in it, before anything runs: the shutdown plan's
    /// stages reversed (see [`StartupPlan`]).
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
    /// assert_eq!(App::startup_plan().stages(), &[&["db"][..], &["http"]]);
    /// ```
    fn startup_plan() -> StartupPlan;
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

    fn prepare(self) -> Handle<Self> {
        private::prepare(self, None)
    }

    fn shutdown_plan() -> ShutdownPlan {
        private::plan_of::<T>()
    }

    fn startup_plan() -> StartupPlan {
        StartupPlan::of(private::plan_of::<T>())
    }
}
