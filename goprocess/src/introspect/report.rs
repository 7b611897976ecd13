//! [`ShutdownReport`]: "who is blocking shutdown", at any moment.

use std::fmt;

use super::snapshot::{ProcessInfo, read};
use crate::Process;
use crate::process::state::Step;

/// Which processes of a subtree are still open, and why: what each still
/// waits for, and why it is closing. Made by
/// [`Process::shutdown_report`], and carried by `Timeout` errors
/// ([`Error::shutdown_report`](crate::Error::shutdown_report)).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use goprocess::Process;
///
/// let app = Process::new().named("app");
/// let _db = app.go(|_| std::future::pending::<()>()).named("db");
/// tokio::spawn(app.close());
/// tokio::task::yield_now().await;
/// let report = app.shutdown_report();
/// assert_eq!(report.open().len(), 2);
/// println!("{report}");
/// // `app` (closing for 0.0ns: asked to close; waits for `db`)
/// // `app/db` (closing for 0.0ns: closed by its parent `app`; waits for its function)
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct ShutdownReport {
    open: Vec<ProcessInfo>,
}

impl ShutdownReport {
    /// The open processes, the reported one first, then its subtree depth
    /// first.
    pub fn open(&self) -> &[ProcessInfo] {
        &self.open
    }

    /// Whether every process of the subtree is Closed.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    pub(crate) fn collect(root: &Process) -> ShutdownReport {
        ShutdownReport {
            open: read(root, |e| e.kind().closes(), |st| st.step != Step::Closed),
        }
    }
}

impl fmt::Display for ShutdownReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.open.is_empty() {
            return f.write_str("nothing is open");
        }
        for (i, p) in self.open.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_report_says_so() {
        assert_eq!(ShutdownReport::default().to_string(), "nothing is open");
    }
}
