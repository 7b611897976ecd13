//! [`ShutdownReport`]: "who is blocking shutdown", at any moment.

use std::fmt;

use std::borrow::Cow;
use std::collections::HashMap;

use super::snapshot::{PATH_SHOWN, PathNode, ProcessInfo, name_of, read, read_one, resolve};
use crate::Process;
use crate::process::graph::{Below, walk};
use crate::process::state::{Stamp, State, Step};

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
///
/// The report a `Timeout` error carries must stay small whatever the tree
/// (an error is kept, cloned and logged): it lists at most 1,024 open
/// processes (when there are more: the reported one, then the ones that
/// wait for none of their children, which are what holds the others, then
/// the others, each group depth first), counts the rest ([`omitted`](Self::omitted)), and cuts each one's path
/// and lists (see [`ProcessInfo::path`]). [`Process::shutdown_report`]
/// lists everything.
#[derive(Clone, Debug, Default)]
pub struct ShutdownReport {
    open: Vec<ProcessInfo>,
    omitted: usize,
}

/// How many open processes the report a `Timeout` error carries lists.
const BOUNDED: usize = 1024;

impl ShutdownReport {
    /// The open processes, the reported one first, then its subtree depth
    /// first.
    pub fn open(&self) -> &[ProcessInfo] {
        &self.open
    }

    /// How many open processes [`open`](Self::open) leaves out: 0, except
    /// in the report a `Timeout` error carries, which lists at most 1,024.
    pub fn omitted(&self) -> usize {
        self.omitted
    }

    /// Whether every process of the subtree is Closed.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty() && self.omitted == 0
    }

    pub(crate) fn collect(root: &Process) -> ShutdownReport {
        ShutdownReport {
            open: read(root, |e| e.kind().closes(), |st| st.step != Step::Closed),
            omitted: 0,
        }
    }

    /// For a close budget that ran out on `root`: the report its error
    /// carries ([`bounded`](Self::bounded)), and every open process of the
    /// subtree, to escalate. Reads each open process once, briefly, and
    /// only the listed ones in full: the budget returns at its deadline,
    /// so this must cost little per process, whatever the tree.
    pub(crate) fn at_deadline(root: &Process) -> (ShutdownReport, Vec<Process>) {
        /// An open process as first seen.
        struct Seen {
            process: Process,
            /// The index of the one it was reached from (`usize::MAX`: the
            /// root), and how deep it is.
            above: usize,
            depth: usize,
            /// It waits for no open process of the report (none of its
            /// children): what it waits for is its own work, or outside.
            blocks: bool,
        }
        let mut seen: Vec<Seen> = Vec::new();
        walk(root, (usize::MAX, 0), |p, st, &(above, depth)| {
            if st.step == Step::Closed {
                return Below::Skip;
            }
            seen.push(Seen {
                process: p.clone(),
                above,
                depth: depth + 1,
                blocks: !st
                    .edges()
                    .any(|e| e.waiting() && e.kind().closes() && !e.target.is_closed()),
            });
            let next = st.targets(|e| e.kind().closes()).collect();
            Below::Into((seen.len() - 1, depth + 1), next)
        });
        let open: Vec<Process> = seen.iter().map(|s| s.process.clone()).collect();
        if seen.len() <= BOUNDED {
            let full = ShutdownReport::collect(root);
            let report = ShutdownReport {
                open: full.open.iter().map(ProcessInfo::bounded).collect(),
                omitted: 0,
            };
            return (report, open);
        }

        // The reported process, then what blocks the others, then the rest.
        let kept = (0..1)
            .chain((1..seen.len()).filter(|&i| seen[i].blocks))
            .chain((1..seen.len()).filter(|&i| !seen[i].blocks))
            .take(BOUNDED);
        let now = Stamp::now();
        let mut names: HashMap<usize, (bool, Cow<'static, str>)> = HashMap::new();
        let mut name = |i: usize| -> (bool, Cow<'static, str>) {
            names
                .entry(i)
                .or_insert_with(|| with_state(&seen[i].process, name_of))
                .clone()
        };
        let mut listed = Vec::with_capacity(BOUNDED);
        for i in kept {
            let mut path = Vec::with_capacity(PATH_SHOWN);
            let mut at = i;
            while at != usize::MAX && path.len() < PATH_SHOWN {
                path.push(name(at).1);
                at = seen[at].above;
            }
            path.reverse();
            let path = PathNode::kept(path, seen[i].depth);
            let (named, _) = name(i);
            listed.push(with_state(&seen[i].process, |p, st| {
                read_one(p, st, named, path, now)
            }));
        }
        let open_listed = listed
            .into_iter()
            .map(|(mut info, later)| {
                resolve(&mut info, later);
                info.bounded()
            })
            .collect::<Vec<_>>();
        let report = ShutdownReport {
            omitted: seen.len() - open_listed.len(),
            open: open_listed,
        };
        (report, open)
    }
}

/// Runs `f` on `p` under its lock (the one walk, visiting `p` only).
fn with_state<R>(p: &Process, f: impl FnOnce(&Process, &State) -> R) -> R {
    let mut f = Some(f);
    let mut out = None;
    walk(p, (), |p, st, _| {
        out = f.take().map(|f| f(p, st));
        Below::Stop
    });
    out.expect("a walk visits its root")
}

impl fmt::Display for ShutdownReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("nothing is open");
        }
        for (i, p) in self.open.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        if self.omitted > 0 {
            write!(f, "\nand {} more", self.omitted)?;
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
