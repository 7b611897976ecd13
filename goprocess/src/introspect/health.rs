//! [`Health`]: what a readiness and a liveness probe answer.

use std::fmt;

use super::escape::Text;

/// The health of a process and its subtree, for readiness and liveness
/// probes ([`Process::health`](crate::Process::health)).
///
/// - **ready**: the tree is [ready](crate::Process::is_ready) and not
///   closing (nor draining before a close, see
///   [`Shutdown::drain_delay`](crate::signal::Shutdown::drain_delay)), so
///   readiness drops at the first signal, as Kubernetes wants before the
///   endpoints are removed;
/// - **live**: nothing in the tree has failed on its own (a function or
///   teardown that failed or panicked, a close budget that ran out, a
///   supervisor that gave up). A graceful shutdown stays live; a failure
///   that was handled and left the tree (a request's child process that
///   failed and closed) does not count.
///
/// `Display` says which parts are not ready or not live, and why.
///
/// ```
/// let app = goprocess::Process::new().named("app");
/// let health = app.health();
/// assert!(health.is_ready() && health.is_live());
/// assert_eq!(health.to_string(), "ready; live");
/// app.close_blocking().unwrap();
/// assert!(!app.health().is_ready()); // closed: not ready, still live
/// assert!(app.health().is_live());
/// ```
#[derive(Clone, Debug)]
pub struct Health {
    pub(crate) not_ready: Vec<String>,
    pub(crate) not_live: Vec<String>,
}

impl Health {
    /// For a readiness probe: ready, and not closing.
    pub fn is_ready(&self) -> bool {
        self.not_ready.is_empty()
    }

    /// For a liveness probe: nothing failed, no budget ran out, no
    /// supervisor gave up.
    pub fn is_live(&self) -> bool {
        self.not_live.is_empty()
    }

    /// The parts that are not ready, each with why (`` `app/db` (starting
    /// for 2.0s; waits for set_ready()) ``).
    pub fn not_ready(&self) -> &[String] {
        &self.not_ready
    }

    /// The parts that are not live, each with why.
    pub fn not_live(&self) -> &[String] {
        &self.not_live
    }
}

impl fmt::Display for Health {
    /// `ready; live`, or what is not: ``not ready: `app` (closing); live``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_ready() {
            f.write_str("ready")?;
        } else {
            write!(f, "not ready: {}", self.not_ready.join(", "))?;
        }
        if self.is_live() {
            f.write_str("; live")
        } else {
            write!(f, "; not live: {}", self.not_live.join(", "))
        }
    }
}

impl Health {
    /// Looks at `root` and everything it closes, one lock at a time.
    pub(crate) fn collect(root: &crate::Process) -> Health {
        use crate::process::graph::{Below, walk};
        use crate::process::state::{Stamp, Step};

        let mut not_ready = Vec::new();
        let mut not_live: Vec<String> = Vec::new();
        // Parts that left the tree stuck or having given up, listed by the
        // parent that waited for them (unless still in the tree).
        let mut left: Vec<(String, crate::ErrorKind)> = Vec::new();
        let now = Stamp::now();
        walk(root, String::new(), |p, st, path| {
            if p.is_background() {
                return Below::Skip;
            }
            // Escaped, as in every view: a name cannot fake a line.
            let name = Text(st.display_name(p.id()))
                .to_string()
                .replace('/', "\\/");
            let here = if path.is_empty() {
                name
            } else {
                format!("{path}/{name}")
            };
            let is_root = path.is_empty();
            let cold = st.cold();
            if is_root && st.step != Step::Running {
                not_ready.push(format!("`{here}` ({})", st.step.name()));
            } else if is_root && cold.draining {
                not_ready.push(format!("`{here}` (draining before its close)"));
            } else if st.step == Step::Running && cold.ready.self_pending {
                let since = cold
                    .ready
                    .since
                    .elapsed_at(now)
                    .map_or_else(String::new, |d| format!(" for {d:.1?}"));
                not_ready.push(format!(
                    "`{here}` (starting{since}; waits for {})",
                    cold.ready.awaits
                ));
            }
            let own = [
                (&cold.timeout_error, "its close budget ran out"),
                (&cold.function_error, "its function failed"),
                (&cold.teardown_error, "its teardown failed"),
                (&cold.ready.start_error, "its start failed"),
            ];
            if let Some((error, what)) = own
                .iter()
                .find_map(|(e, what)| e.as_ref().map(|e| (e, what)))
            {
                not_live.push(format!("`{here}` ({what}: {})", error.kind()));
            } else if st.step == Step::Closed
                && let Some(error) = &cold.error
                && !matches!(error.kind(), crate::ErrorKind::Children)
            {
                not_live.push(format!("`{here}` (closed with: {})", error.kind()));
            }
            // A part that left the tree counts only if it was stuck or gave
            // up: a failure it closed with was handled by closing it.
            for child in &cold.failed_children {
                let kind = child.error().kind();
                if matches!(
                    kind,
                    crate::ErrorKind::RestartLimit | crate::ErrorKind::Timeout
                ) {
                    let path = format!("`{here}/{}`", Text(child.name()));
                    left.push((path, kind));
                }
            }
            Below::Into(here, st.targets(|e| e.kind().closes()).collect())
        });
        for (path, kind) in left {
            if !not_live.iter().any(|l| l.starts_with(&format!("{path} "))) {
                not_live.push(format!("{path} ({kind})"));
            }
        }
        if not_ready.is_empty() && !root.is_ready() {
            not_ready.push(format!("`{}` (starting)", Text(root.display_name())));
        }
        Health {
            not_ready,
            not_live,
        }
    }
}
