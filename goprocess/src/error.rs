//! [`Error`], [`ErrorKind`] and the result types processes produce.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::introspect::ShutdownReport;
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
}

impl Error {
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
        if let Some(found) = self.inner.source.as_deref().and_then(|s| find::<E>(s)) {
            return Some(found);
        }
        if let Some(found) = self.inner.also.as_ref().and_then(|e| e.downcast_ref::<E>()) {
            return Some(found);
        }
        self.inner
            .children
            .iter()
            .find_map(|c| c.error.downcast_ref::<E>())
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
        fn go<'a>(e: &'a Error, path: &mut Vec<&'a str>, visit: &mut dyn FnMut(&[&str], &Error)) {
            visit(path, e);
            if let Some(also) = &e.inner.also {
                go(also, path, visit);
            }
            for c in &e.inner.children {
                path.push(c.name());
                go(&c.error, path, visit);
                path.pop();
            }
        }
        go(self, &mut Vec::new(), &mut visit);
    }
}

/// How many open processes and failed children the one-line `Display`
/// of an [`Error`] names before it only counts them (`{:#}` names all).
const SHOWN_IN_LINE: usize = 4;

impl Error {
    /// The first line: the process, what went wrong, why.
    fn headline(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        if let Some(p) = &inner.process {
            write!(f, "process `{}`: ", p.as_str())?;
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

    /// `{:#}`: the whole error as an indented tree, one thing per line.
    fn tree(&self, f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
        let inner = &*self.inner;
        let pad = "  ".repeat(depth + 1);
        self.headline(f)?;
        if let Some(report) = &inner.report {
            write!(f, "\n{pad}still open:")?;
            for open in report.open() {
                write!(f, "\n{pad}  {open}")?;
            }
        }
        if let Some(also) = &inner.also {
            write!(f, "\n{pad}then: ")?;
            also.tree(f, depth + 1)?;
        }
        let (failed, noun) = self.failed_children();
        if failed > 0 {
            write!(f, "\n{pad}{failed} {noun} failed:")?;
            for c in &inner.children {
                write!(f, "\n{pad}- ")?;
                c.error.tree(f, depth + 1)?;
            }
            if inner.omitted_children > 0 {
                write!(f, "\n{pad}- and {} more", inner.omitted_children)?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    /// One line, naming at most four open processes and four failed
    /// children (then counting them); `{:#}` prints everything, as an
    /// indented tree.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            return self.tree(f, 0);
        }
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
            if open.len() > SHOWN_IN_LINE {
                write!(f, ", and {} more", open.len() - SHOWN_IN_LINE)?;
            }
        }
        if let Some(also) = &inner.also {
            write!(f, "; then {also}")?;
        }
        let (failed, noun) = self.failed_children();
        if failed > 0 {
            write!(f, "; {failed} {noun} failed: ")?;
            for (i, c) in inner.children.iter().take(SHOWN_IN_LINE).enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "[{}]", c.error)?;
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
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &inner.kind);
        if let Some(p) = &inner.process {
            d.field("process", p);
        }
        if let Some(detail) = &inner.detail {
            d.field("detail", detail);
        }
        if let Some(source) = &inner.source {
            d.field("source", source);
        }
        if let Some(also) = &inner.also {
            d.field("also", also);
        }
        if !inner.children.is_empty() {
            d.field("children", &inner.children);
        }
        if inner.omitted_children > 0 {
            d.field("omitted_children", &inner.omitted_children);
        }
        if let Some(report) = &inner.report {
            d.field("report", report);
        }
        d.finish()
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
