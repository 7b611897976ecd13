//! Why a process closed: [`CloseCause`], recorded when its close starts.

use std::borrow::Cow;
use std::fmt;
use std::sync::Weak;

use super::Process;
use super::state::Inner;
use crate::name::Name;

/// Why a process started closing, as [`Process::close_cause`](crate::Process::close_cause),
/// snapshots, shutdown reports, timelines and the tracing `closing` event
/// tell it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use goprocess::{CloseCause, Process};
///
/// let app = Process::new().named("app");
/// let db = Process::with_parent(&app).named("db");
/// assert_eq!(db.close_cause(), None); // still running
/// app.close().await.unwrap();
/// assert_eq!(app.close_cause(), Some(CloseCause::Asked));
/// let cause = db.close_cause().unwrap();
/// assert!(matches!(&cause, CloseCause::Parent(p) if p.id() == app.id()));
/// assert_eq!(cause.to_string(), "closed by its parent `app`");
/// # }
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloseCause {
    /// Asked: [`close`](crate::Process::close), `close_within`,
    /// `close_blocking`, [`request_close`](crate::Process::request_close),
    /// or `close_after_children` once it had nothing left to wait for.
    Asked,
    /// A parent closed, and closed it (the first one to, if it has several).
    Parent(ProcessRef),
    /// Its function returned (`go`).
    Returned,
    /// Its function failed: returned `Err`, panicked, or its task was
    /// dropped (its runtime shut down).
    Failed,
    /// A child failed, and its policy ([`OnFailure::Propagate`](crate::OnFailure::Propagate))
    /// asked its parents to close.
    ChildFailed(ProcessRef),
    /// A signal arrived (`with_signals`, `signal::shutdown_signals`); its
    /// name, e.g. `SIGTERM`.
    Signal(Cow<'static, str>),
    /// A cancellation token it follows was cancelled (`context`).
    Token,
    /// A close budget ran out while it was still running, and aborted its
    /// function.
    Budget,
    /// Its supervisor closed it to restart it or a sibling.
    Restart(ProcessRef),
    /// It is a supervisor, and gave up: too many restarts.
    RestartLimit,
    /// Its start failed: a part it waits for closed before it was ready
    /// (rollback), its start budget ran out, or a field of a `#[process]`
    /// struct was refused.
    StartFailed,
    /// It was stopped with [`abort`](crate::Process::abort).
    Aborted,
}

impl fmt::Display for CloseCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseCause::Asked => f.write_str("asked to close"),
            CloseCause::Parent(p) => write!(f, "closed by its parent `{p}`"),
            CloseCause::Returned => f.write_str("its function returned"),
            CloseCause::Failed => f.write_str("its function failed"),
            CloseCause::ChildFailed(p) => write!(f, "its child `{p}` failed"),
            CloseCause::Signal(name) => write!(f, "signal {name}"),
            CloseCause::Token => f.write_str("its cancellation token was cancelled"),
            CloseCause::Budget => f.write_str("a close budget ran out"),
            CloseCause::Restart(p) => write!(f, "its supervisor `{p}` restarted it"),
            CloseCause::RestartLimit => f.write_str("too many restarts"),
            CloseCause::StartFailed => f.write_str("its start failed"),
            CloseCause::Aborted => f.write_str("aborted"),
        }
    }
}

/// A process named by a [`CloseCause`] or an [`Event`](crate::events::Event):
/// its id, and its name as it is when shown.
#[derive(Clone)]
pub struct ProcessRef(pub(crate) Name);

impl ProcessRef {
    /// The process's [`id`](crate::Process::id).
    pub fn id(&self) -> u64 {
        self.0.id()
    }

    /// Its name, or `#id` when it has none.
    pub fn name(&self) -> Cow<'static, str> {
        self.0.display()
    }
}

impl PartialEq for ProcessRef {
    fn eq(&self, other: &ProcessRef) -> bool {
        self.id() == other.id()
    }
}

impl Eq for ProcessRef {}

impl fmt::Display for ProcessRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl fmt::Debug for ProcessRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProcessRef({}, {:?})", self.id(), self.name())
    }
}

/// Why a close starts, as the close machinery carries it: compact (a tag
/// and, for the causes that name a process, that process's name cell).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[repr(u8)]
pub(crate) enum Why {
    #[default]
    Running,
    Asked,
    Parent,
    Returned,
    Failed,
    ChildFailed,
    Signal,
    Token,
    Budget,
    Restart,
    RestartLimit,
    StartFailed,
    Aborted,
}

/// The process a cause names, as the close machinery carries it and a
/// process stores it:
///
/// - `Parent(id)`: the parent that closed it, by id (no reference count
///   per child closed). A process with one parent stores nothing more: its
///   back-link (kept after it closed) is that parent; one with several
///   keeps the right one's `Weak` in its cold part.
/// - `Process`: a process weakly, once stored; its name is read when the
///   cause is shown, as long as it is alive.
/// - `Named`: a name cell, for the rare causes that must still be named
///   once their process is gone (a failed child, a supervisor).
#[derive(Clone)]
pub(crate) enum By {
    Parent(u64),
    Process(Weak<Inner>),
    Named(Name),
}

/// A cause on its way into a process: its kind and the process it names.
#[derive(Clone)]
pub(crate) struct Cause {
    pub(crate) why: Why,
    pub(crate) by: Option<By>,
    /// The close runs under a close budget (its own, or an ancestor's):
    /// a sync teardown must then not block a runtime's worker.
    pub(crate) budgeted: bool,
}

impl Cause {
    pub(crate) const ASKED: Cause = Cause::of(Why::Asked);

    pub(crate) const fn of(why: Why) -> Cause {
        Cause {
            why,
            by: None,
            budgeted: false,
        }
    }

    /// The same cause, for a close under a budget.
    pub(crate) fn under_budget(mut self, budgeted: bool) -> Cause {
        self.budgeted |= budgeted;
        self
    }

    /// Closed by its parent `parent`.
    pub(crate) fn parent(parent: &Process) -> Cause {
        Cause {
            why: Why::Parent,
            by: Some(By::Parent(parent.id())),
            budgeted: false,
        }
    }

    /// A cause naming the process of `name`, kept named.
    pub(crate) fn named(why: Why, name: Name) -> Cause {
        Cause {
            why,
            by: Some(By::Named(name)),
            budgeted: false,
        }
    }

    /// The public form; reads the name of the process it names, so call
    /// it with no lock held. `signal` is the name kept for `Why::Signal`.
    pub(crate) fn resolve(&self, signal: Option<&Cow<'static, str>>) -> Option<CloseCause> {
        let by = || {
            ProcessRef(match &self.by {
                Some(By::Named(name)) => name.clone(),
                Some(By::Parent(_)) | None => {
                    Name::new(0, Some(Cow::Borrowed("an unknown process")))
                }
                Some(By::Process(weak)) => match weak.upgrade() {
                    Some(inner) => Process::from_inner(inner).name_ref(),
                    None => Name::new(0, Some(Cow::Borrowed("a process since dropped"))),
                },
            })
        };
        Some(match self.why {
            Why::Running => return None,
            Why::Asked => CloseCause::Asked,
            Why::Parent => CloseCause::Parent(by()),
            Why::Returned => CloseCause::Returned,
            Why::Failed => CloseCause::Failed,
            Why::ChildFailed => CloseCause::ChildFailed(by()),
            Why::Signal => CloseCause::Signal(signal.cloned().unwrap_or(Cow::Borrowed("a signal"))),
            Why::Token => CloseCause::Token,
            Why::Budget => CloseCause::Budget,
            Why::Restart => CloseCause::Restart(by()),
            Why::RestartLimit => CloseCause::RestartLimit,
            Why::StartFailed => CloseCause::StartFailed,
            Why::Aborted => CloseCause::Aborted,
        })
    }
}
