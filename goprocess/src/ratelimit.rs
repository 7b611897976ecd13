//! Bound how many children run at once (Go's `ratelimit`).
//!
//! A [`RateLimiter`] is a process (a child of the process it was made
//! with) whose [`limited_go`](RateLimiter::limited_go) starts a child only
//! while fewer than `limit` of its limited children are alive.
//!
//! # The rules
//!
//! 1. A slot is taken when a limited child starts, and given back when that
//!    child has *closed*, its own children included (so work a child hands
//!    to its children still counts against the limit). The close itself
//!    gives the slot back, with no task per child (Go uses a goroutine), so
//!    [`available_slots`](RateLimiter::available_slots) is up to date by
//!    the time [`closed`](Process::closed) resolves.
//! 2. [`RateLimiter::go`] is not limited and takes no slot (as Go).
//! 3. Unlike Go (which panics), once the limiter is closing,
//!    `limited_go` starts nothing: a caller waiting for a slot returns at
//!    once with a process already closed with
//!    [`ErrorKind::ParentClosed`](crate::ErrorKind::ParentClosed), and its
//!    function never runs.
//! 4. Closing the limiter closes every child, limited or not, and waits for
//!    them (it is an ordinary process otherwise).
//! 5. A limit of zero would block every caller for ever, so it is refused
//!    where the limiter is made: [`RateLimiter::new`] panics naming the fix;
//!    [`RateLimiter::with_limit`] takes a [`NonZeroUsize`] and cannot fail.
//!
//! ```
//! # #[tokio::main]
//! # async fn main() {
//! use goprocess::Process;
//! use goprocess::ratelimit::RateLimiter;
//!
//! let app = Process::new();
//! let downloads = RateLimiter::new(&app, 4); // at most 4 at once
//! for url in ["a", "b", "c", "d", "e", "f"] {
//!     downloads.limited_go(move |_me| async move {
//!         println!("fetching {url}");
//!     }).await;
//! }
//! app.close().await.unwrap(); // closes the limiter, waits for the downloads
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::process::spawn::{self, AfterFunction};
use crate::{AsProcess, IntoProcessResult, Process};

/// A process that runs at most `limit` limited children at once (Go:
/// `RateLimiter`). See the [module docs](self) for the rules.
///
/// Cheap to clone: clones share the process and the slots. Its own process
/// is [`process()`](Self::process) (Go embeds it), for `close()`,
/// `closing()` and the rest; it is [`AsProcess`] too, so it can be a
/// `#[child]` field.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use goprocess::Process;
/// use goprocess::ratelimit::RateLimiter;
///
/// let limiter = RateLimiter::new(&Process::new(), 2);
/// let job = limiter.limited_go(|_me| async {}).await;
/// job.closed().await;
/// limiter.process().close().await.unwrap();
/// # }
/// ```
#[derive(Clone)]
pub struct RateLimiter {
    process: Process,
    slots: Arc<Semaphore>,
    limit: usize,
}

impl RateLimiter {
    /// A new rate limiter allowing `limit` limited children at once, as a
    /// new child of `parent` (Go: `NewRateLimiter`). If `parent` has closed,
    /// the limiter is closed from the start (with
    /// [`ErrorKind::ParentClosed`](crate::ErrorKind::ParentClosed)), so `limited_go` refuses at once.
    ///
    /// A `limit` above [`Semaphore::MAX_PERMITS`] (about 2⁶¹) is treated as
    /// that: in effect, no limit.
    ///
    /// Needs no tokio runtime.
    ///
    /// # Panics
    ///
    /// If `limit` is zero: every [`limited_go`](Self::limited_go) would wait
    /// for ever. Use a limit of at least 1, or take it as a
    /// [`NonZeroUsize`] with [`with_limit`](Self::with_limit) so the type
    /// rules zero out.
    ///
    /// ```
    /// use goprocess::Process;
    /// use goprocess::ratelimit::RateLimiter;
    ///
    /// let limiter = RateLimiter::new(&Process::new(), 8);
    /// assert_eq!(limiter.limit(), 8);
    /// ```
    ///
    /// ```should_panic
    /// # use goprocess::{Process, ratelimit::RateLimiter};
    /// let limiter = RateLimiter::new(&Process::new(), 0); // panics: limit 0
    /// ```
    #[doc(alias = "NewRateLimiter")]
    #[track_caller]
    pub fn new(parent: &Process, limit: usize) -> RateLimiter {
        match NonZeroUsize::new(limit) {
            Some(limit) => RateLimiter::with_limit(parent, limit),
            None => panic!(
                "goprocess::ratelimit::RateLimiter::new: the limit must be at least 1 (with a \
                 limit of 0 every `limited_go` would wait for ever); pass a positive limit, or \
                 validate it first with `NonZeroUsize::new(limit)` and use \
                 `RateLimiter::with_limit`"
            ),
        }
    }

    /// A new rate limiter allowing `limit` limited children at once, as a
    /// new child of `parent`; the same as [`new`](Self::new) with a limit
    /// that cannot be zero.
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use goprocess::Process;
    /// use goprocess::ratelimit::RateLimiter;
    ///
    /// let from_config = 0;
    /// let limit = NonZeroUsize::new(from_config).unwrap_or(NonZeroUsize::MIN);
    /// let limiter = RateLimiter::with_limit(&Process::new(), limit);
    /// assert_eq!(limiter.limit(), 1);
    /// ```
    pub fn with_limit(parent: &Process, limit: NonZeroUsize) -> RateLimiter {
        let limit = limit.get().min(Semaphore::MAX_PERMITS);
        RateLimiter {
            process: Process::with_parent(parent),
            slots: Arc::new(Semaphore::new(limit)),
            limit,
        }
    }

    /// Waits for a free slot, then runs `f` in a new tokio task as a new
    /// child of the limiter (Go: `LimitedGo`), and returns that child (the
    /// process `f` runs in, as [`Process::go`]). The slot is given back when
    /// the child has closed, its own children included.
    ///
    /// Slots are handed out in the order callers started waiting.
    ///
    /// Unlike Go, if the limiter is closing (or closes while this waits),
    /// returns at once a process that is already closed with
    /// [`ErrorKind::ParentClosed`](crate::ErrorKind::ParentClosed); `f` is dropped without running.
    ///
    /// # Panics
    ///
    /// If no tokio runtime is running on this thread.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future before it completes takes no slot
    /// and runs nothing (`f` is dropped). Once it has completed, `f` runs.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goprocess::{ErrorKind, Process};
    /// use goprocess::ratelimit::RateLimiter;
    ///
    /// let limiter = RateLimiter::new(&Process::new(), 1);
    /// let busy = limiter.limited_go(|me| async move { me.closing().await }).await;
    ///
    /// // The only slot is taken: this one waits until the limiter closes.
    /// let waiting = tokio::spawn({
    ///     let limiter = limiter.clone();
    ///     async move { limiter.limited_go(|_| async { unreachable!() }).await }
    /// });
    /// limiter.process().close().await.unwrap();
    /// let refused = waiting.await.unwrap();
    /// assert_eq!(refused.err().await.unwrap_err().kind(), ErrorKind::ParentClosed);
    /// assert!(busy.is_closed());
    /// # }
    /// ```
    #[doc(alias = "LimitedGo")]
    pub async fn limited_go<F, Fut>(&self, f: F) -> Process
    where
        F: FnOnce(Process) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoProcessResult,
    {
        let slot = tokio::select! {
            biased;
            _ = self.process.closing() => None,
            slot = self.slots.clone().acquire_owned() => slot.ok(),
        };
        let Some(slot) = slot else {
            tracing::debug!(parent: self.process.span(), "ratelimit: refused, the limiter is closing");
            return Process::not_started(
                &self.process,
                format!(
                    "the rate limiter `{}` closed before a slot was free",
                    self.process.display_name()
                ),
            );
        };
        // Give the slot back exactly when the child is Closed (its children
        // have closed by then), before anyone can see it Closed, with no
        // task per child. Registered before its function can run: a child
        // that returns at once could be Closed, and seen so by whoever got
        // its handle from inside it, before a hook added after `go`.
        let child = spawn::go_configured(
            &self.process,
            f,
            AfterFunction::CloseAfterChildren,
            "goprocess::ratelimit::RateLimiter::limited_go",
            false,
            move |child: &Process| child.on_release(move || drop(slot)),
        );
        tracing::trace!(
            parent: self.process.span(),
            child = child.id(),
            free = self.slots.available_permits(),
            "ratelimit: started a limited child"
        );
        child
    }

    /// Runs `f` in a new tokio task as a new child of the limiter, without
    /// waiting for a slot and without taking one (Go: `Go`). The same as
    /// `limiter.process().go(f)`.
    ///
    /// # Panics
    ///
    /// If no tokio runtime is running on this thread.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goprocess::Process;
    /// use goprocess::ratelimit::RateLimiter;
    ///
    /// let limiter = RateLimiter::new(&Process::new(), 1);
    /// let a = limiter.go(|me| async move { me.closing().await });
    /// let b = limiter.go(|me| async move { me.closing().await }); // not limited
    /// assert_eq!(limiter.available_slots(), 1);
    /// limiter.process().close().await.unwrap();
    /// assert!(a.is_closed() && b.is_closed());
    /// # }
    /// ```
    #[track_caller]
    pub fn go<F, Fut>(&self, f: F) -> Process
    where
        F: FnOnce(Process) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoProcessResult,
    {
        self.process.go(f)
    }

    /// Names the limiter's process (see [`Process::named`]) and returns
    /// the limiter.
    ///
    /// ```
    /// # use goprocess::{Process, ratelimit::RateLimiter};
    /// let limiter = RateLimiter::new(&Process::new(), 4).named("downloads");
    /// assert_eq!(limiter.process().name().as_deref(), Some("downloads"));
    /// ```
    pub fn named(self, name: impl Into<std::borrow::Cow<'static, str>>) -> RateLimiter {
        let process = self.process.named(name);
        RateLimiter { process, ..self }
    }

    /// The limiter's own process.
    ///
    /// ```
    /// use goprocess::Process;
    /// use goprocess::ratelimit::RateLimiter;
    ///
    /// let parent = Process::new();
    /// let limiter = RateLimiter::new(&parent, 3);
    /// parent.close_blocking().unwrap();
    /// assert!(limiter.process().is_closed());
    /// ```
    pub fn process(&self) -> &Process {
        &self.process
    }

    /// The most limited children alive at once.
    ///
    /// ```
    /// # use goprocess::{Process, ratelimit::RateLimiter};
    /// assert_eq!(RateLimiter::new(&Process::new(), 5).limit(), 5);
    /// ```
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// How many slots are free now (a snapshot: other tasks may take or
    /// give back slots at any time).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # use goprocess::{Process, ratelimit::RateLimiter};
    /// let limiter = RateLimiter::new(&Process::new(), 2);
    /// let job = limiter.limited_go(|me| async move { me.closing().await }).await;
    /// assert_eq!(limiter.available_slots(), 1);
    /// job.close().await.unwrap();
    /// # }
    /// ```
    pub fn available_slots(&self) -> usize {
        self.slots.available_permits()
    }
}

impl AsProcess for RateLimiter {
    fn as_process(&self) -> &Process {
        &self.process
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("process", &self.process)
            .field("limit", &self.limit)
            .field("available_slots", &self.slots.available_permits())
            .finish()
    }
}
