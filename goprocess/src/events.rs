//! Lifecycle events: what happens to processes, as values a program can
//! act on (alerting, logging, metrics) without parsing tracing output.
//!
//! [`Process::on_event`](crate::Process::on_event) subscribes a function
//! to the events of a process and of every process linked under it, now
//! and later (as a [`Timeline`] is attached). It is called
//! on the thread where the event happens, outside every lock of this
//! crate; keep it short and non-blocking (send to a channel, bump a
//! counter). A process that nobody subscribed to pays one check per event.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use std::sync::{Arc, Mutex};
//! use goprocess::Process;
//! use goprocess::events::Event;
//!
//! let app = Process::new().named("app");
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let s = seen.clone();
//! app.on_event(move |event| {
//!     if let Event::Failed { process, error } = event {
//!         s.lock().unwrap().push(format!("{process} failed: {}", error.kind()));
//!     }
//! });
//! app.go(|_| async { Err::<(), _>("port in use") }).named("http");
//! let _ = app.close().await;
//! assert_eq!(*seen.lock().unwrap(), ["http failed: process function failed"]);
//! # }
//! ```

use std::borrow::Cow;
use std::sync::Arc;

use crate::introspect::Timeline;
use crate::{CloseCause, Error, ProcessRef};

/// Something that happened to a process. New kinds may be added in minor
/// releases: match with a `_` arm.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub enum Event {
    /// It is ready: it, and every part its start waits for, is up (see
    /// [`Process::ready`](crate::Process::ready)). A process that never
    /// declared readiness, and was never waiting for a part that did, is
    /// ready as it is made and sends none.
    Ready {
        /// The process.
        process: ProcessRef,
    },
    /// It started closing before it was ready: its start failed (sent just
    /// before its `Closed`), with the error [`Process::ready`](crate::Process::ready)
    /// returns.
    StartFailed {
        /// The process.
        process: ProcessRef,
        /// Its `StartFailed` (or `StartTimeout`) error.
        error: Error,
    },
    /// It started closing, for `cause`.
    Closing {
        /// The process.
        process: ProcessRef,
        /// Why.
        cause: CloseCause,
    },
    /// It failed on its own: its function or teardown returned `Err`,
    /// panicked or was aborted, its close budget ran out, or a propagating
    /// child's failure closed it. Sent just before its `Closed`.
    Failed {
        /// The process.
        process: ProcessRef,
        /// Its error (the same `close()` returns).
        error: Error,
    },
    /// It is Closed (its teardown has returned), with its result.
    Closed {
        /// The process.
        process: ProcessRef,
        /// Its result (the same `close()` returns).
        result: Result<(), Error>,
    },
    /// Its close budget ran out; it was escalated and detached from its
    /// parents.
    BudgetRanOut {
        /// The process whose budget ran out.
        process: ProcessRef,
        /// The `Timeout` error, with its report of what was still open.
        error: Error,
    },
    /// A supervisor restarted a child (and, with `OneForAll` or
    /// `RestForOne`, the siblings that go with it).
    Restarted {
        /// The supervisor.
        supervisor: ProcessRef,
        /// The child whose close caused the restart.
        child: Cow<'static, str>,
        /// How the child's last run ended.
        result: Result<(), Error>,
        /// The supervisor's restarts so far, this one included.
        restarts: u64,
    },
    /// A supervisor gave up: one restart more than its limit allows. It
    /// closes with the `RestartLimit` error.
    GaveUp {
        /// The supervisor.
        supervisor: ProcessRef,
        /// Its `RestartLimit` error.
        error: Error,
    },
}

/// A subscriber's function.
pub(crate) type Hook = Arc<dyn Fn(&Event) + Send + Sync>;

/// What a process reports to: timelines and event subscribers. Shared by
/// every process of an observed subtree; a process linked under an
/// observed one inherits its observers.
#[derive(Clone)]
pub(crate) struct Observers(Arc<[Observer]>);

#[derive(Clone)]
pub(crate) enum Observer {
    Timeline(Timeline),
    Hook(Hook),
}

impl Observer {
    fn same(&self, other: &Observer) -> bool {
        match (self, other) {
            (Observer::Timeline(a), Observer::Timeline(b)) => a.same(b),
            (Observer::Hook(a), Observer::Hook(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Observers {
    /// `current` (if any) with `added` too, unless it has it already.
    pub(crate) fn adding(current: Option<&Observers>, added: &[Observer]) -> Observers {
        let mut all: Vec<Observer> = current.map(|o| o.0.to_vec()).unwrap_or_default();
        for o in added {
            if !all.iter().any(|a| a.same(o)) {
                all.push(o.clone());
            }
        }
        Observers(all.into())
    }

    /// The observers a process linked under `parent` should have, given
    /// its own `current` ones: `None` when they do not change.
    pub(crate) fn inherit(current: Option<&Observers>, parent: &Observers) -> Option<Observers> {
        match current {
            None => Some(parent.clone()),
            Some(c) if Arc::ptr_eq(&c.0, &parent.0) => None,
            Some(c) if parent.0.iter().all(|p| c.0.iter().any(|o| o.same(p))) => None,
            Some(c) => Some(Observers::adding(Some(c), &parent.0)),
        }
    }

    pub(crate) fn timelines(&self) -> impl Iterator<Item = &Timeline> {
        self.0.iter().filter_map(|o| match o {
            Observer::Timeline(t) => Some(t),
            Observer::Hook(_) => None,
        })
    }

    /// Whether any timeline records this process.
    pub(crate) fn has_timelines(&self) -> bool {
        self.0.iter().any(|o| matches!(o, Observer::Timeline(_)))
    }

    /// Whether any subscriber wants events (timelines record on their own).
    pub(crate) fn has_hooks(&self) -> bool {
        self.0.iter().any(|o| matches!(o, Observer::Hook(_)))
    }

    /// Sends `event` to every subscriber. Outside every lock. A
    /// subscriber that panics is reported (tracing `error`) and the others
    /// still get the event: subscribers are user code, and the close
    /// machinery that delivers events must carry on.
    pub(crate) fn emit(&self, event: &Event) {
        for o in self.0.iter() {
            if let Observer::Hook(hook) = o {
                let delivered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    hook(event);
                }));
                if let Err(payload) = delivered {
                    tracing::error!(
                        target: "goprocess",
                        panic = %crate::error::panic_message(&*payload),
                        ?event,
                        "an event subscriber panicked; the event still went to the other subscribers"
                    );
                }
            }
        }
    }
}
