//! [`Error`], [`ErrorKind`] and the result types processes produce.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::introspect::ShutdownReport;
use crate::introspect::escape::Text;
use crate::name::Shown;

/// The error type teardowns and process functions may return: any error that
/// can cross threads.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// How many failed children one [`Error`] lists before it only counts them.
///
/// A long-lived parent whose short-lived children fail keeps at most this
/// many of their errors, so its memory stays flat.
pub(crate) const MAX_CHILD_ERRORS: usize = 64;

/// What went wrong, in broad strokes. See [`Error::kind`].
///
/// New kinds may be added in minor releases, so `match` it with a `_` arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The teardown returned `Err`; [`Error::downcast_ref`] reaches its error.
    Teardown,
    /// The process function (of [`Process::go`](crate::Process::go) and
    /// friends) returned `Err`; [`Error::downcast_ref`] reaches its error.
    Function,
    /// A teardown or a process function panicked; the panic message is kept
    /// ([`Error::panic_message`]).
    Panic,
    /// A process function or an async teardown was stopped before it
    /// finished: its tokio task was aborted (by a close deadline) or its
    /// runtime shut down.
    Aborted,
    /// One or more children failed; the process itself did not.
    /// [`Error::children`] lists them.
    Children,
    /// A relation ([`add_child`](crate::Process::add_child),
    /// [`wait_for`](crate::Process::wait_for)) or a teardown was asked of a
    /// process that had already closed.
    Closed,
    /// A process function was never run because its parent had already
    /// closed.
    ParentClosed,
    /// The relation would have made a waiting cycle (a process waiting,
    /// directly or not, for itself), which could never close.
    Cycle,
    /// The background process was used where a process that closes is
    /// needed (as a child or wait target, or closed).
    NeverCloses,
    /// A teardown was set on a process that already had one.
    TeardownAlreadySet,
    /// [`Process::close_blocking`](crate::Process::close_blocking) was called
    /// where blocking would deadlock: inside a current-thread tokio runtime.
    BlockingInRuntime,
    /// A close budget ran out ([`Process::close_within`](crate::Process::close_within)).
    Timeout,
    /// A [supervisor](crate::supervise::Supervisor) gave up: one restart
    /// more than its limit allows. [`Error::children`] lists the failure
    /// that broke the limit, if there was one.
    RestartLimit,
    /// An argument was out of range (a supervisor's limit of zero
    /// restarts, a zero window, a backoff whose maximum is below its
    /// start); the message says which and what to pass instead.
    InvalidInput,
    /// A process failed to start: it (or a part of it that its readiness
    /// waits for) closed before it was ready (an `#[init]` that failed, a
    /// function that signals readiness and ended without it, a close
    /// during the start). [`Error::children`] lists the failure that
    /// stopped the start, if there was one.
    StartFailed,
    /// A start budget ([`Process::ready_within`](crate::Process::ready_within))
    /// ran out; the message names every process not ready yet and what
    /// each waits for.
    StartTimeout,
}

impl ErrorKind {
    fn describe(self) -> &'static str {
        match self {
            ErrorKind::Teardown => "teardown failed",
            ErrorKind::Function => "process function failed",
            ErrorKind::Panic => "panicked",
            ErrorKind::Aborted => "aborted",
            ErrorKind::Children => "children failed",
            ErrorKind::Closed => "already closed",
            ErrorKind::ParentClosed => "not started",
            ErrorKind::Cycle => "refused: the relation would make a waiting cycle",
            ErrorKind::NeverCloses => "refused: the background process never closes",
            ErrorKind::TeardownAlreadySet => "refused: a teardown is already set",
            ErrorKind::BlockingInRuntime => "refused to block a current-thread runtime",
            ErrorKind::Timeout => "close budget ran out",
            ErrorKind::RestartLimit => "gave up: too many restarts",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::StartFailed => "start failed",
            ErrorKind::StartTimeout => "start budget ran out",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// A failed child as listed by [`Error::children`].
#[derive(Clone, Debug)]
pub struct ChildError {
    name: Shown,
    error: Error,
}

impl ChildError {
    /// The child's display name (its [`name`](crate::Process::named), or
    /// `#id` for an unnamed process), as it was when first shown: a name
    /// given just after the child failed is still the one shown.
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// The child's own error (which may list its own children in turn).
    pub fn error(&self) -> &Error {
        &self.error
    }
}

/// The error of a process, or of an operation on one.
///
/// Cheap to clone (an `Arc` inside): every caller of
/// [`close`](crate::Process::close) gets the same error.
///
/// A process's error is its own failure (teardown, process function, panic)
/// and also lists the children that failed ([`children`](Self::children)), so
/// nothing that went wrong in a subtree is lost. When only children failed,
/// the kind is [`ErrorKind::Children`].
///
/// ```
/// use goprocess::{ErrorKind, Process};
///
/// #[derive(Debug)]
/// struct DiskFull;
/// impl std::fmt::Display for DiskFull {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str("disk full")
///     }
/// }
/// impl std::error::Error for DiskFull {}
///
/// let p = Process::with_teardown(|| Err(DiskFull.into())).named("journal");
/// let err = p.close_blocking().unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Teardown);
/// assert!(err.downcast_ref::<DiskFull>().is_some());
/// assert_eq!(err.to_string(), "process `journal`: teardown failed: disk full");
/// ```
#[derive(Clone)]
pub struct Error {
    inner: Arc<ErrorInner>,
}

#[derive(Clone)]
struct ErrorInner {
    kind: ErrorKind,
    process: Option<Shown>,
    detail: Option<Cow<'static, str>>,
    /// Shared, so that an error can be copied when it must be completed
    /// after it was shared (e.g. a `Timeout` given to parents and kept).
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
    also: Option<Error>,
    children: Vec<ChildError>,
    omitted_children: usize,
    /// For `Timeout`: whose budget (`"close"`, `"teardown"`), and how long.
    budget: Option<(&'static str, std::time::Duration)>,
    report: Option<ShutdownReport>,
    /// The failure was taken by a caller (`close_and_take` after its
    /// process had closed): the parents that list it leave it out.
    taken: Taken,
}

/// See `ErrorInner::taken`: shared by the clones of one error (its
/// process's result and its parents' lists hold the same `Arc`).
#[derive(Default)]
struct Taken(std::sync::atomic::AtomicBool);

impl Clone for Taken {
    fn clone(&self) -> Taken {
        Taken(std::sync::atomic::AtomicBool::new(
            self.0.load(std::sync::atomic::Ordering::Relaxed),
        ))
    }
}

impl Error {
    /// Marks the failure as taken by a caller: a parent that has not
    /// closed yet leaves it out of its own error.
    pub(crate) fn mark_taken(&self) {
        self.inner
            .taken
            .0
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether a caller took it (see [`mark_taken`](Self::mark_taken)).
    pub(crate) fn is_taken(&self) -> bool {
        self.inner
            .taken
            .0
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    fn new(kind: ErrorKind, detail: Option<Cow<'static, str>>, source: Option<BoxError>) -> Error {
        Error {
            inner: Arc::new(ErrorInner {
                kind,
                process: None,
                detail,
                source: source.map(Arc::from),
                also: None,
                children: Vec::new(),
                omitted_children: 0,
                budget: None,
                report: None,
                taken: Taken::default(),
            }),
        }
    }

    /// An error about an operation on `process`, with a sentence saying
    /// what was refused and how to fix it.
    pub(crate) fn refused(
        kind: ErrorKind,
        process: Cow<'static, str>,
        detail: impl Into<Cow<'static, str>>,
    ) -> Error {
        Error::new(kind, Some(detail.into()), None).for_process(Shown::Fixed(process))
    }

    /// A function (`kind` [`ErrorKind::Function`]) or teardown
    /// ([`ErrorKind::Teardown`]) that returned `Err(source)`.
    pub(crate) fn returned(kind: ErrorKind, source: BoxError) -> Error {
        Error::new(kind, None, Some(source))
    }

    /// A function or teardown that panicked with `message`.
    pub(crate) fn panicked(message: Cow<'static, str>) -> Error {
        Error::new(ErrorKind::Panic, Some(message), None)
    }

    /// A task dropped before it finished; `what` says which and how.
    pub(crate) fn aborted(what: &'static str) -> Error {
        Error::new(ErrorKind::Aborted, Some(Cow::Borrowed(what)), None)
    }

    /// A teardown's own budget (`#[teardown(timeout = ..)]`) ran out.
    pub(crate) fn teardown_timed_out(budget: std::time::Duration) -> Error {
        let mut error = Error::new(ErrorKind::Timeout, None, None);
        Arc::make_mut(&mut error.inner).budget = Some(("teardown", budget));
        error
    }

    /// A process's close budget ran out; `report` says what was still open.
    pub(crate) fn timeout(
        process: Shown,
        budget: std::time::Duration,
        report: ShutdownReport,
    ) -> Error {
        let mut error = Error::new(ErrorKind::Timeout, None, None).for_process(process);
        let inner = Arc::make_mut(&mut error.inner);
        inner.budget = Some(("close", budget));
        inner.report = Some(report);
        error
    }

    /// A close that fit its budget only because teardown reserves had
    /// parts escalated early (`detail` says which, and when); `report` is
    /// what was still open at the first of them.
    pub(crate) fn reserve_escalated(
        process: Shown,
        detail: String,
        report: ShutdownReport,
    ) -> Error {
        let mut error =
            Error::new(ErrorKind::Timeout, Some(detail.into()), None).for_process(process);
        Arc::make_mut(&mut error.inner).report = Some(report);
        error
    }

    /// Work refused before it began ([`ErrorKind::ParentClosed`]); `why`
    /// completes "not started: ".
    pub(crate) fn not_started(process: Shown, why: String) -> Error {
        Error::new(ErrorKind::ParentClosed, Some(why.into()), None).for_process(process)
    }

    /// A supervisor that gave up; `detail` says which child and how many
    /// restarts in which window.
    pub(crate) fn restart_limit(detail: String) -> Error {
        Error::new(ErrorKind::RestartLimit, Some(detail.into()), None)
    }

    /// An argument out of range; `detail` says which and what to pass.
    pub(crate) fn invalid_input(detail: String) -> Error {
        Error::new(ErrorKind::InvalidInput, Some(detail.into()), None)
    }

    /// A failed start (see [`ErrorKind::StartFailed`]); `detail` says why.
    pub(crate) fn start_failed(detail: impl Into<Cow<'static, str>>) -> Error {
        Error::new(ErrorKind::StartFailed, Some(detail.into()), None)
    }

    /// A start budget of `budget` ran out; `detail` names who was not
    /// ready and what each waits for.
    pub(crate) fn start_timeout(process: Shown, detail: String) -> Error {
        Error::new(ErrorKind::StartTimeout, Some(detail.into()), None).for_process(process)
    }

    /// A process that did not fail itself, but whose children did.
    pub(crate) fn children_failed(process: Shown) -> Error {
        Error::new(ErrorKind::Children, None, None).for_process(process)
    }

    /// Chains a further failure of the same process (see [`Error::also`]).
    pub(crate) fn with_also(mut self, also: Option<Error>) -> Error {
        Arc::make_mut(&mut self.inner).also = also;
        self
    }

    /// Lists the failed children below this error.
    pub(crate) fn with_children(mut self, children: Vec<ChildError>, omitted: usize) -> Error {
        let inner = Arc::make_mut(&mut self.inner);
        inner.children = children;
        inner.omitted_children = omitted;
        self
    }

    /// Names the process a freshly built error is about.
    pub(crate) fn for_process(mut self, name: Shown) -> Error {
        Arc::make_mut(&mut self.inner).process = Some(name);
        self
    }

    pub(crate) fn child_entry(name: Shown, error: Error) -> ChildError {
        ChildError { name, error }
    }

    /// What went wrong, in broad strokes.
    ///
    /// ```
    /// use goprocess::{ErrorKind, Process};
    ///
    /// let p = Process::new();
    /// p.close_blocking().unwrap();
    /// let err = p.add_child(&Process::new()).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Closed);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The display name of the process this error is about, if any.
    pub fn process_name(&self) -> Option<&str> {
        self.inner.process.as_ref().map(Shown::as_str)
    }

    /// The panic message, for [`ErrorKind::Panic`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goprocess::ErrorKind;
    ///
    /// let p = goprocess::go(|_| async { panic!("boom") });
    /// let err = p.err().await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Panic);
    /// assert_eq!(err.panic_message(), Some("boom"));
    /// # }
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        match self.inner.kind {
            ErrorKind::Panic => self.inner.detail.as_deref(),
            _ => None,
        }
    }

    /// Returns a reference to the error a teardown or process function
    /// returned, if it is of type `E`, or to the first error of type `E`
    /// in its [`source`](std::error::Error::source) chain.
    ///
    /// Looks at this process's own error first, then at a second failure of
    /// the same process, then at the failed children, depth first: so
    /// `close()` on a parent whose child failed still finds the child's
    /// error.
    ///
    /// An `anyhow::Error` or `eyre::Report` returned by a `#[teardown]` or
    /// `#[run]` method keeps its root cause: `downcast_ref::<io::Error>()`
    /// finds the `io::Error` it was made from, also under
    /// `.context(..)`. Boxing one by hand (`Into<BoxError>`, as
    /// `IntoProcessResult` does for the functions of `go` and friends)
    /// hides it behind anyhow's own type; there, convert it with
    /// `anyhow::Error::reallocate_into_boxed_dyn_error_without_backtrace`,
    /// or return the error itself.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goprocess::{ErrorKind, Process};
    ///
    /// let parent = Process::new();
    /// parent.go(|_| async { Err::<(), _>(std::io::Error::other("lost connection")) });
    /// let err = parent.close().await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Children);
    /// assert!(err.downcast_ref::<std::io::Error>().is_some());
    /// # }
    /// ```
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        let mut found = None;
        self.each(|_, e| {
            found = e.inner.source.as_deref().and_then(|s| find::<E>(s));
            found.is_none()
        });
        found
    }

    /// The children that failed, in the order they closed.
    ///
    /// At most 64 are kept; [`omitted_children`](Self::omitted_children)
    /// counts the others.
    pub fn children(&self) -> &[ChildError] {
        &self.inner.children
    }

    /// How many failed children were not kept in [`children`](Self::children).
    pub fn omitted_children(&self) -> usize {
        self.inner.omitted_children
    }

    /// For [`ErrorKind::Timeout`]: what was still open when the budget ran
    /// out, and what each open process was waiting for.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use goprocess::{ErrorKind, Process};
    ///
    /// let app = Process::new().named("app");
    /// app.go(|_| std::future::pending::<()>()).named("stuck");
    /// let err = app.close_within(Duration::from_secs(5)).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Timeout);
    /// let report = err.shutdown_report().unwrap();
    /// assert_eq!(report.open()[1].path().join("/"), "app/stuck");
    /// # }
    /// ```
    pub fn shutdown_report(&self) -> Option<&ShutdownReport> {
        self.inner.report.as_ref()
    }

    /// A further failure of the same process. A process's own failures
    /// are chained most telling first: a close budget that ran out
    /// ([`ErrorKind::Timeout`]), then its function's failure, then its
    /// teardown's; each next one is the previous one's `also`.
    pub fn also(&self) -> Option<&Error> {
        self.inner.also.as_ref()
    }

    /// Visits this error and every error below it (second failures and
    /// failed children, depth first), with the path of process names that
    /// leads to each.
    pub fn walk(&self, mut visit: impl FnMut(&[&str], &Error)) {
        self.each(|path, e| {
            visit(path, e);
            true
        });
    }

    /// Visits this error and every error below it as [`walk`](Self::walk)
    /// describes, until `visit` returns `false`. With a stack of its own:
    /// an error nests one level per failed ancestor, and a chain of
    /// processes may be 100,000 deep.
    fn each<'a>(&'a self, mut visit: impl FnMut(&[&'a str], &'a Error) -> bool) {
        // Each entry: an error, the length of its parent's path, and the
        // name that leads to it (none for a further failure, `also`).
        let mut stack: Vec<(&'a Error, usize, Option<&'a str>)> = vec![(self, 0, None)];
        let mut path: Vec<&'a str> = Vec::new();
        while let Some((e, above, name)) = stack.pop() {
            path.truncate(above);
            path.extend(name);
            if !visit(&path, e) {
                return;
            }
            let here = path.len();
            for c in e.inner.children.iter().rev() {
                stack.push((&c.error, here, Some(c.name())));
            }
            if let Some(also) = &e.inner.also {
                stack.push((also, here, None));
            }
        }
    }
}

impl Drop for ErrorInner {
    /// With a stack of its own, like [`Error::walk`]: dropping an error
    /// nested 100,000 deep must not recurse 100,000 times.
    fn drop(&mut self) {
        let mut below: Vec<Error> = self.children.drain(..).map(|c| c.error).collect();
        below.extend(self.also.take());
        while let Some(e) = below.pop() {
            if let Ok(mut inner) = Arc::try_unwrap(e.inner) {
                below.extend(inner.children.drain(..).map(|c| c.error));
                below.extend(inner.also.take());
            }
        }
    }
}

/// How many open processes and failed children the one-line `Display`
/// of an [`Error`] names before it only counts them (`{:#}` names all).
const SHOWN_IN_LINE: usize = 4;

/// How many open processes and failed children `Debug` names at each
/// level before it only counts them.
const SHOWN_IN_DEBUG: usize = 8;

/// How many levels of failed children `Debug` and `{:#}` show; deeper
/// ones are counted. An error nests one level per failed ancestor, so a
/// failure at the bottom of a deep chain would otherwise print a line per
/// level, each more indented than the last.
const LEVELS_SHOWN: usize = 16;

/// How the multi-line forms are written: `{:#}` (everything kept) or
/// `Debug` (a few of each, kinds, sources' chains).
#[derive(Clone, Copy)]
struct Tree {
    /// Items per list, or all.
    items: Option<usize>,
    debug: bool,
}

impl Error {
    /// The first line: the process, what went wrong, why.
    fn headline(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        if let Some(p) = &inner.process {
            write!(f, "process `{}`: ", Text(p.as_str()))?;
        }
        match inner.budget {
            Some((whose, budget)) => write!(f, "{whose} budget of {budget:?} ran out")?,
            None => f.write_str(inner.kind.describe())?,
        }
        if let Some(detail) = &inner.detail {
            write!(f, ": {detail}")?;
        }
        if let Some(source) = &inner.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }

    fn failed_children(&self) -> (usize, &'static str) {
        let failed = self.inner.children.len() + self.inner.omitted_children;
        (failed, if failed == 1 { "child" } else { "children" })
    }

    /// `{:#}` and `Debug`: the error as an indented tree, one thing per
    /// line.
    fn tree(&self, f: &mut fmt::Formatter<'_>, depth: usize, how: Tree) -> fmt::Result {
        let inner = &*self.inner;
        let pad = "  ".repeat(depth.min(LEVELS_SHOWN) + 1);
        let items = how.items.unwrap_or(usize::MAX);
        self.headline(f)?;
        if how.debug {
            write!(f, " ({:?})", inner.kind)?;
            let mut cause = inner.source.as_deref().and_then(|s| s.source());
            while let Some(c) = cause {
                write!(f, "\n{pad}caused by: {c}")?;
                cause = c.source();
            }
        }
        if let Some(report) = &inner.report {
            write!(f, "\n{pad}still open:")?;
            for open in report.open().iter().take(items) {
                write!(f, "\n{pad}  {open}")?;
            }
            let more = report.open().len().saturating_sub(items) + report.omitted();
            if more > 0 {
                write!(f, "\n{pad}  and {more} more")?;
            }
        }
        if let Some(also) = &inner.also {
            write!(f, "\n{pad}then: ")?;
            also.tree(f, depth + 1, how)?;
        }
        let (failed, noun) = self.failed_children();
        if failed == 0 {
            return Ok(());
        }
        write!(f, "\n{pad}{failed} {noun} failed")?;
        if depth >= LEVELS_SHOWN {
            return f.write_str(" (not shown: too deep)");
        }
        f.write_str(":")?;
        for c in inner.children.iter().take(items) {
            write!(f, "\n{pad}- ")?;
            c.error.tree(f, depth + 1, how)?;
        }
        let more = failed - inner.children.len().min(items);
        if more > 0 {
            write!(f, "\n{pad}- and {more} more")?;
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    /// One line, naming at most four open processes and four failed
    /// children (then counting them); `{:#}` prints everything, as an
    /// indented tree. Both show 16 levels of failed children at most.
    /// Process names are escaped (`\n` for a newline): one name never
    /// makes two lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            let how = Tree {
                items: None,
                debug: false,
            };
            return self.tree(f, 0, how);
        }
        self.line(f, 0)
    }
}

impl Error {
    /// The one-line `Display`, `depth` levels of failed children down.
    fn line(&self, f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
        let inner = &*self.inner;
        self.headline(f)?;
        if let Some(report) = &inner.report {
            f.write_str("; still open: ")?;
            let open = report.open();
            for (i, o) in open.iter().take(SHOWN_IN_LINE).enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{o}")?;
            }
            let more = open.len().saturating_sub(SHOWN_IN_LINE) + report.omitted();
            if more > 0 {
                write!(f, ", and {more} more")?;
            }
        }
        if let Some(also) = &inner.also {
            f.write_str("; then ")?;
            also.line(f, depth + 1)?;
        }
        let (failed, noun) = self.failed_children();
        if failed > 0 {
            write!(f, "; {failed} {noun} failed")?;
            if depth >= LEVELS_SHOWN {
                return f.write_str(" (not shown: too deep)");
            }
            f.write_str(": ")?;
            for (i, c) in inner.children.iter().take(SHOWN_IN_LINE).enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                f.write_str("[")?;
                c.error.line(f, depth + 1)?;
                f.write_str("]")?;
            }
            if failed > SHOWN_IN_LINE {
                write!(
                    f,
                    ", and {} more",
                    failed - SHOWN_IN_LINE.min(inner.children.len())
                )?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    /// What `main` prints when it returns this error: the `{:#}` tree with
    /// each error's kind and its source's chain (`caused by:`), naming at
    /// most 8 open processes and 8 failed children at each level (then
    /// counting them). `{:#?}` is the same.
    ///
    /// ```text
    /// process `app`: close budget of 5s ran out (Timeout)
    ///   still open:
    ///     `app` (closing for 5.0s: asked to close; waits for `db`)
    ///     `app/db` (closing for 5.0s: closed by its parent `app`; waits for its function)
    ///   1 child failed:
    ///   - process `db`: aborted: a close budget ran out (Aborted)
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = Tree {
            items: Some(SHOWN_IN_DEBUG),
            debug: true,
        };
        self.tree(f, 0, how)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.inner.source {
            Some(s) => Some(&**s as &(dyn std::error::Error + 'static)),
            None => self
                .inner
                .children
                .first()
                .map(|c| &c.error as &(dyn std::error::Error + 'static)),
        }
    }
}

/// The first error of type `E` in the chain that starts at `error`: itself,
/// then its sources, looking through [`Rooted`] to the error it keeps.
fn find<'a, E: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + Send + Sync + 'static),
) -> Option<&'a E> {
    // A chain this long is one that loops (a `source()` that returns
    // itself): give up instead of hanging.
    const LONGEST: usize = 1024;
    let error: &'a (dyn std::error::Error + 'static) = error;
    let mut next = Some(error);
    for _ in 0..LONGEST {
        let mut error = next?;
        if let Some(rooted) = error.downcast_ref::<Rooted>() {
            if let Some(found) = rooted.0.as_any().downcast_ref::<E>() {
                return Some(found);
            }
            error = rooted.0.root();
        }
        if let Some(found) = error.downcast_ref::<E>() {
            return Some(found);
        }
        next = error.source();
    }
    None
}

/// An error that derefs to its root cause without being one itself:
/// `anyhow::Error`, `eyre::Report` (`AsRef<dyn Error + Send + Sync>`).
/// Boxed as it is, its root cause would only be reachable through its own
/// type; kept whole, [`Error::downcast_ref`] reaches it. It shows as the
/// error itself, and its sources are the root cause's.
pub(crate) struct Rooted(Box<dyn HasRoot>);

trait HasRoot: fmt::Display + fmt::Debug + Send + Sync {
    fn root(&self) -> &(dyn std::error::Error + 'static);
    fn as_any(&self) -> &dyn std::any::Any;
}

impl<E> HasRoot for E
where
    E: AsRef<dyn std::error::Error + Send + Sync + 'static>
        + fmt::Display
        + fmt::Debug
        + Send
        + Sync
        + 'static,
{
    fn root(&self) -> &(dyn std::error::Error + 'static) {
        self.as_ref()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Keeps `error` whole as a [`BoxError`] (see [`Rooted`]); a `BoxError`
/// is one already, and stays as it is.
pub(crate) fn rooted<E>(error: E) -> BoxError
where
    E: AsRef<dyn std::error::Error + Send + Sync + 'static>
        + fmt::Display
        + fmt::Debug
        + Send
        + Sync
        + 'static,
{
    let mut error = Some(error);
    if let Some(boxed) = (&mut error as &mut dyn std::any::Any)
        .downcast_mut::<Option<BoxError>>()
        .and_then(Option::take)
    {
        return boxed;
    }
    match error {
        Some(error) => Box::new(Rooted(Box::new(error))),
        None => unreachable!("taken only when it is a BoxError"),
    }
}

impl fmt::Display for Rooted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Rooted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl std::error::Error for Rooted {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.root().source()
    }
}

/// What a process function or teardown may return: `()`,
/// `Result<(), E>` with `E: Into<BoxError>`, or `!` (a function that never
/// returns, like a server's `loop`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let ok = goprocess::go(|_| async {});
/// let fails = goprocess::go(|_| async { Err::<(), _>("no route to host") });
/// assert!(ok.err().await.is_ok());
/// assert!(fails.err().await.is_err());
/// # }
/// ```
pub trait IntoProcessResult {
    /// Converts into the uniform result a process stores.
    fn into_process_result(self) -> Result<(), BoxError>;
}

impl IntoProcessResult for () {
    fn into_process_result(self) -> Result<(), BoxError> {
        Ok(())
    }
}

impl<E: Into<BoxError>> IntoProcessResult for Result<(), E> {
    fn into_process_result(self) -> Result<(), BoxError> {
        self.map_err(Into::into)
    }
}

/// Names the never type `!` on stable Rust, so functions that never return
/// (`async { loop { … } }`, `async { panic!() }`) are process functions too.
pub(crate) trait HasOutput {
    type Output;
}

impl<T> HasOutput for fn() -> T {
    type Output = T;
}

type Never = <fn() -> ! as HasOutput>::Output;

// The helper trait only names the type; users see `impl IntoProcessResult for !`.
#[allow(private_interfaces)]
impl IntoProcessResult for Never {
    fn into_process_result(self) -> Result<(), BoxError> {
        match self {}
    }
}

/// The payload of a caught panic, as text.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> Cow<'static, str> {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        Cow::Borrowed(s)
    } else if let Some(s) = payload.downcast_ref::<String>() {
        Cow::Owned(s.clone())
    } else {
        Cow::Borrowed("panic payload is not a string")
    }
}
