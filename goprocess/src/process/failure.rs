//! What a process's failure does to the processes it is a child of.

/// What a process's failure does to the processes it is a child of: set
/// with [`Process::on_failure`](crate::Process::on_failure) or
/// [`Process::set_on_failure`](crate::Process::set_on_failure).
///
/// A process *fails* when it closes with its own error: its function or
/// teardown returned `Err` or panicked, its task was aborted, or its close
/// budget ran out; or when it was closed by a propagating child's failure.
///
/// ```
/// use goprocess::{OnFailure, Process};
///
/// let app = Process::new().named("app");
/// let http = Process::with_parent(&app).named("http").on_failure(OnFailure::Propagate);
/// assert_eq!(OnFailure::default(), OnFailure::Isolate);
/// # let _ = http;
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OnFailure {
    /// The failure is kept: a parent sees it in its own error when it
    /// closes, and nothing else happens (as in Go). The default.
    #[default]
    Isolate,
    /// Every process it is a child of (`add_child`, `add_child_no_wait`,
    /// `with_parent`, `go`) is asked to close, so the failed part shuts its
    /// surroundings down in their declared order. A parent closed this way
    /// has failed too: its error lists the failure, and it applies its own
    /// policy in turn, so `Propagate` all the way up shuts the whole
    /// service down.
    Propagate,
}
