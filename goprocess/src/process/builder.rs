//! [`ChildBuilder`]: a `go` child configured before its function starts.

use std::borrow::Cow;
use std::future::Future;
use std::time::Duration;

use super::spawn::{self, AfterFunction};
use super::{Escalation, OnFailure, Process};
use crate::error::IntoProcessResult;

/// A child process configured before its function starts: made by
/// [`Process::child`], started by [`go`](Self::go).
///
/// `parent.go(f).named("http")` names the child once `go` has returned, by
/// which time `f` may already have run (on another worker) and even
/// failed: its error, reports and timeline then show the name all the
/// same, as they read names when shown. A failure *policy* set that way,
/// though, could come too late to apply: set it here.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use goprocess::{OnFailure, Process};
///
/// let app = Process::new().named("app");
/// let http = app
///     .child()
///     .named("http")
///     .on_failure(OnFailure::Propagate)
///     .go(|me| async move { me.closing().await });
/// assert_eq!(http.name().as_deref(), Some("http"));
/// app.close().await.unwrap();
/// # }
/// ```
#[must_use = "a child builder starts nothing until `go` is called"]
#[derive(Debug)]
pub struct ChildBuilder<'a> {
    parent: &'a Process,
    name: Option<Cow<'static, str>>,
    on_failure: Option<OnFailure>,
    close_timeout: Option<Duration>,
    escalation: Option<Escalation>,
    signals_ready: bool,
}

impl<'a> ChildBuilder<'a> {
    pub(super) fn new(parent: &'a Process) -> ChildBuilder<'a> {
        ChildBuilder {
            parent,
            name: None,
            on_failure: None,
            close_timeout: None,
            escalation: None,
            signals_ready: false,
        }
    }

    /// The child's name (see [`Process::named`]).
    pub fn named(mut self, name: impl Into<Cow<'static, str>>) -> ChildBuilder<'a> {
        self.name = Some(name.into());
        self
    }

    /// What the child's failure does to its parents (see
    /// [`Process::on_failure`]).
    pub fn on_failure(mut self, policy: OnFailure) -> ChildBuilder<'a> {
        self.on_failure = Some(policy);
        self
    }

    /// The child's own close budget (see [`Process::close_timeout`]).
    pub fn close_timeout(mut self, budget: Duration) -> ChildBuilder<'a> {
        self.close_timeout = Some(budget);
        self
    }

    /// What a budget overrun does to the child's tasks (see
    /// [`Process::escalation`]).
    pub fn escalation(mut self, escalation: Escalation) -> ChildBuilder<'a> {
        self.escalation = Some(escalation);
        self
    }

    /// The child's function says itself when it serves, with
    /// [`Process::set_ready`]: until then the child is not ready, and
    /// neither is any process that waits for it (its parent, and theirs;
    /// see [`Process::ready`]). A function that returns without calling it
    /// failed to start ([`ErrorKind::StartFailed`](crate::ErrorKind::StartFailed)),
    /// and rolls back the ancestors that were not ready.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let app = goprocess::Process::new();
    /// app.child().named("http").signals_ready().go(|me| async move {
    ///     // let listener = TcpListener::bind(addr).await?;
    ///     me.set_ready();
    ///     me.closing().await;
    /// });
    /// app.ready().await.unwrap();
    /// # app.close().await.unwrap();
    /// # }
    /// ```
    pub fn signals_ready(mut self) -> ChildBuilder<'a> {
        self.signals_ready = true;
        self
    }

    /// Runs `f` in a new tokio task, in the configured child, as
    /// [`Process::go`] does.
    ///
    /// # Panics
    ///
    /// If no tokio runtime is running on this thread.
    #[track_caller]
    pub fn go<F, Fut>(self, f: F) -> Process
    where
        F: FnOnce(Process) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoProcessResult,
    {
        let ChildBuilder {
            parent,
            name,
            on_failure,
            close_timeout,
            escalation,
            signals_ready,
        } = self;
        spawn::go_configured(
            parent,
            f,
            AfterFunction::CloseAfterChildren,
            "ChildBuilder::go",
            signals_ready,
            move |child| {
                if let Some(name) = name {
                    child.set_name(name);
                }
                if let Some(policy) = on_failure {
                    child.set_on_failure(policy);
                }
                if let Some(budget) = close_timeout {
                    child.set_close_timeout(budget);
                }
                if let Some(escalation) = escalation {
                    child.set_escalation(escalation);
                }
            },
        )
    }
}
