//! A point-in-time view of a live process graph, rendered as a text tree,
//! Graphviz DOT or Mermaid.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::process::graph::{Below, walk};
use crate::process::state::{EdgeRef, Inner, Stamp, State, Step, StoredCause};
use crate::{CloseCause, EdgeKind, Process};

/// The three public states of a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProcessState {
    /// Not asked to close yet.
    Running,
    /// Closing: children closing, waiting, or the teardown running.
    Closing,
    /// Closed: the teardown has returned.
    Closed,
}

impl fmt::Display for ProcessState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProcessState::Running => "running",
            ProcessState::Closing => "closing",
            ProcessState::Closed => "closed",
        })
    }
}

/// One process as a [`Snapshot`] or a [`ShutdownReport`](super::ShutdownReport)
/// shows it.
///
/// Its `Display` is a report line: the path from the viewed process, where
/// it is in its life and why, and what it still waits for, e.g.
/// ``"`app/db` (closing for 5.0s: its parent `app` closed; waits for its function)"``.
#[derive(Clone, Debug)]
pub struct ProcessInfo {
    id: u64,
    name: Option<Cow<'static, str>>,
    path: Vec<Cow<'static, str>>,
    state: ProcessState,
    detail: &'static str,
    age: Option<Duration>,
    closing_for: Option<Duration>,
    cause: Option<CloseCause>,
    function_running: bool,
    restarts: u64,
    edges: Vec<(EdgeKind, u64)>,
    incoming: Vec<u64>,
    waiting_for: Vec<Cow<'static, str>>,
    /// For a supervisor: whether it is one, and its children.
    supervisor: bool,
    supervised: Vec<crate::supervise::ChildInfo>,
}

impl ProcessInfo {
    /// The process's [`id`](Process::id).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Its [name](Process::named), if it has one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Its name, or `#id`.
    pub fn display_name(&self) -> Cow<'_, str> {
        match &self.name {
            Some(n) => Cow::Borrowed(n),
            None => Cow::Owned(format!("#{}", self.id)),
        }
    }

    /// The names from the viewed process down to this one (the path by
    /// which the view first reached it).
    pub fn path(&self) -> &[Cow<'static, str>] {
        &self.path
    }

    /// Running, Closing or Closed.
    pub fn state(&self) -> ProcessState {
        self.state
    }

    /// Where it is in its life, in words (e.g. `"closing: running teardown"`).
    pub fn detail(&self) -> &'static str {
        self.detail
    }

    /// How long ago it was named: for a process named as it was made (with
    /// [`named`](Process::named) on a new process, a
    /// [`ChildBuilder`](crate::ChildBuilder), a `#[process]` struct's field
    /// or a supervised child's run), its age. `None` for a process without
    /// a name: reading the clock for every process would cost each
    /// short-lived `go` child a fifth of its price, and the processes
    /// worth a look in a snapshot are the named ones.
    pub fn age(&self) -> Option<Duration> {
        self.age
    }

    /// How long it has been closing, if it is closing or closed.
    pub fn closing_for(&self) -> Option<Duration> {
        self.closing_for
    }

    /// Why it started closing, once it did.
    pub fn close_cause(&self) -> Option<&CloseCause> {
        self.cause.as_ref()
    }

    /// Whether its `go` function is still running.
    pub fn function_running(&self) -> bool {
        self.function_running
    }

    /// For a [supervisor](crate::supervise::Supervisor): how many restarts
    /// it has made. For a run of a supervised child: how many times that
    /// child had been restarted before this run. 0 otherwise.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    /// Its outgoing edges: the kind, and the target's id.
    pub fn edges(&self) -> &[(EdgeKind, u64)] {
        &self.edges
    }

    /// The ids of the processes with an edge to it, of any kind: its
    /// parents and the processes that wait for it (those still alive). A
    /// process leaves them all when it closes, so a Closed process has no
    /// incoming edge, and no outgoing one either.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goprocess::Process;
    ///
    /// let a = Process::new();
    /// let b = Process::new();
    /// let shared = Process::with_parent(&a);
    /// b.wait_for(&shared).unwrap();
    /// let info = |p: &Process| p.snapshot().get(p.id()).unwrap().clone();
    /// let mut incoming = info(&shared).incoming().to_vec();
    /// incoming.sort();
    /// assert_eq!(incoming, [a.id(), b.id()]);
    ///
    /// shared.close().await.unwrap();
    /// assert!(info(&shared).incoming().is_empty());
    /// assert!(info(&a).edges().is_empty() && info(&b).edges().is_empty());
    /// # }
    /// ```
    pub fn incoming(&self) -> &[u64] {
        &self.incoming
    }

    /// The processes it still waits for (children and wait targets not
    /// Closed yet), by name.
    pub fn waiting_for(&self) -> &[Cow<'static, str>] {
        &self.waiting_for
    }

    /// Whether it is a [supervisor](crate::supervise::Supervisor).
    pub fn is_supervisor(&self) -> bool {
        self.supervisor
    }

    /// For a supervisor: each of its children, in their order, with its
    /// state (running, restarting, in backoff until when, terminated,
    /// ended), as [`Supervisor::children`](crate::supervise::Supervisor::children)
    /// lists them (OTP's `which_children`); its running children's runs
    /// are also its processes below it. Empty for any other process.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goprocess::Process;
    /// use goprocess::supervise::{ChildState, Restart, Strategy, Supervisor};
    ///
    /// let app = Process::new().named("app");
    /// let sup = Supervisor::new(&app, Strategy::OneForOne).named("pool");
    /// let worker = sup
    ///     .child_spec("worker", Restart::Permanent, |me| async move { me.closing().await })
    ///     .start()
    ///     .unwrap();
    /// worker.terminate().await.unwrap();
    /// let snapshot = app.snapshot();
    /// let pool = snapshot.get(sup.process().id()).unwrap();
    /// assert_eq!(pool.supervised()[0].state(), ChildState::Terminated);
    /// assert!(snapshot.to_string().contains("└╌╌ worker (terminated)"));
    /// app.close().await.unwrap();
    /// # }
    /// ```
    pub fn supervised(&self) -> &[crate::supervise::ChildInfo] {
        &self.supervised
    }
}

impl fmt::Display for ProcessInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` ({}", self.path.join("/"), self.detail)?;
        if let Some(d) = self.closing_for {
            write!(f, " for {d:.1?}")?;
        }
        if let Some(cause) = &self.cause {
            write!(f, ": {cause}")?;
        }
        let mut waits: Vec<String> = self.waiting_for.iter().map(|w| format!("`{w}`")).collect();
        // A supervisor's function is its loop, which closes its runs: what
        // it waits for is those runs.
        if self.function_running && !self.supervisor {
            waits.push("its function".into());
        }
        if !waits.is_empty() {
            let what = if self.supervisor { "its runs " } else { "" };
            write!(f, "; waits for {what}{}", waits.join(", "))?;
        }
        f.write_str(")")
    }
}

/// Reads the processes `root` reaches through the edges `follow` selects
/// (all of them for a snapshot, the closing ones for a report), each once,
/// depth first; `keep` decides which are listed (a report leaves the
/// Closed ones out, and does not go below them).
pub(super) fn read(
    root: &Process,
    follow: impl Fn(&EdgeRef<'_>) -> bool,
    keep: impl Fn(&State) -> bool,
) -> Vec<ProcessInfo> {
    let now = Stamp::now();
    let mut processes = Vec::new();
    // Read under each process's lock; resolved once the walk is over, so
    // that no other process's lock is taken under it, and dropping the last
    // handle of a parent never runs under a lock.
    #[allow(clippy::type_complexity)]
    let mut later: Vec<(
        Vec<Weak<Inner>>,
        Vec<Process>,
        StoredCause,
        Option<crate::supervise::View>,
    )> = Vec::new();
    let root_path: Vec<Cow<'static, str>> = Vec::new();
    walk(root, root_path, |p, st, path| {
        if !keep(st) {
            return Below::Skip;
        }
        let background = p.is_background();
        let mut path = path.clone();
        path.push(st.display_name(p.id()));
        let info = ProcessInfo {
            id: p.id(),
            name: st.name(),
            path: path.clone(),
            state: match st.step {
                _ if background => ProcessState::Running,
                Step::Running => ProcessState::Running,
                Step::Closed => ProcessState::Closed,
                _ => ProcessState::Closing,
            },
            detail: if background {
                "background"
            } else {
                st.step.name()
            },
            age: st.cold().named_at.elapsed_at(now),
            closing_for: st.closing_since.elapsed_at(now),
            cause: None,
            function_running: st.function_running,
            restarts: st.cold().restarts,
            edges: st.edges().map(|e| (e.kind(), e.target.id())).collect(),
            incoming: Vec::new(),
            waiting_for: Vec::new(),
            supervisor: st.cold().supervisor.is_some(),
            supervised: Vec::new(),
        };
        later.push((
            st.parent_links()
                .map(|(parent, _)| parent.clone())
                .collect(),
            st.targets(|e| e.waiting()).collect(),
            st.cause_stored(),
            st.cold().supervisor.clone(),
        ));
        processes.push(info);
        Below::Into(path, st.targets(&follow).collect())
    });
    for (info, (incoming, waiting, cause, supervisor)) in processes.iter_mut().zip(later) {
        info.cause = cause.resolve();
        if let Some(supervisor) = supervisor {
            info.supervised = supervisor.children();
        }
        info.incoming = incoming
            .iter()
            .filter_map(Weak::upgrade)
            .map(|parent: Arc<Inner>| parent.id())
            .collect();
        info.waiting_for = waiting
            .iter()
            .filter(|w| !w.is_closed())
            .map(Process::display_name)
            .collect();
    }
    processes
}

/// A point-in-time view of a process and everything it reaches: names,
/// states, edge kinds, the ages of named processes (see
/// [`ProcessInfo::age`]). Made by [`Process::snapshot`].
///
/// `Display` renders an indented tree (like `pstree`): children under their
/// parent, `(no wait)` marking no-wait children, and `waits for` lines for
/// wait edges. [`to_dot`](Self::to_dot) and [`to_mermaid`](Self::to_mermaid)
/// export the graph.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use goprocess::Process;
///
/// let app = Process::new().named("app");
/// let db = Process::with_parent(&app).named("db");
/// let http = app.go(|me| async move { me.closing().await }).named("http");
/// let metrics = Process::new().named("metrics");
/// app.add_child_no_wait(&metrics);
/// db.wait_for(&http).unwrap();
///
/// let text = app.snapshot().to_string();
/// assert_eq!(
///     text.lines().map(|l| l.split(" [").next().unwrap()).collect::<Vec<_>>(),
///     ["app", "├── db", "│   └╌╌ waits for http", "├── http", "└── metrics (no wait)"],
/// );
/// assert!(app.snapshot().to_dot().starts_with("digraph goprocess {"));
/// assert!(app.snapshot().to_mermaid().starts_with("flowchart TD"));
/// app.close().await.unwrap();
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Snapshot {
    root: u64,
    /// In discovery order: the root first.
    processes: Vec<ProcessInfo>,
}

impl Snapshot {
    pub(crate) fn take(root: &Process) -> Snapshot {
        Snapshot {
            root: root.id(),
            processes: read(root, |_| true, |_| true),
        }
    }

    /// Every process reached, the root first.
    pub fn processes(&self) -> &[ProcessInfo] {
        &self.processes
    }

    /// The process with this id, if it was reached.
    pub fn get(&self, id: u64) -> Option<&ProcessInfo> {
        self.processes.iter().find(|p| p.id == id)
    }

    /// How many processes are in each state: (running, closing, closed).
    pub fn counts(&self) -> (usize, usize, usize) {
        self.processes
            .iter()
            .fold((0, 0, 0), |(r, c, d), p| match p.state {
                ProcessState::Running => (r + 1, c, d),
                ProcessState::Closing => (r, c + 1, d),
                ProcessState::Closed => (r, c, d + 1),
            })
    }

    fn index(&self) -> HashMap<u64, &ProcessInfo> {
        self.processes.iter().map(|p| (p.id, p)).collect()
    }

    /// The graph in Graphviz DOT: solid edges for children, dashed for
    /// no-wait children, dotted for wait edges; closing processes in
    /// orange, closed ones in grey.
    ///
    /// ```
    /// let p = goprocess::Process::new().named("app");
    /// let dot = p.snapshot().to_dot();
    /// assert!(dot.contains(r#"label="app\nrunning""#));
    /// ```
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph goprocess {\n  node [shape=box, style=rounded];\n");
        for p in &self.processes {
            let color = match p.state {
                ProcessState::Running => "black",
                ProcessState::Closing => "orange",
                ProcessState::Closed => "grey",
            };
            let _ = writeln!(
                out,
                "  p{} [label=\"{}\\n{}\", color={color}];",
                p.id,
                escape(&p.display_name()),
                p.state
            );
        }
        for p in &self.processes {
            for (kind, target) in &p.edges {
                let style = match kind {
                    EdgeKind::Child => "",
                    EdgeKind::ChildNoWait => " [style=dashed, label=\"no wait\"]",
                    EdgeKind::WaitFor => " [style=dotted, label=\"waits for\"]",
                };
                let _ = writeln!(out, "  p{} -> p{target}{style};", p.id);
            }
        }
        out.push_str("}\n");
        out
    }

    /// The graph as a Mermaid flowchart: `-->` for children, `-.->` for
    /// no-wait children, `==>` for wait edges.
    ///
    /// ```
    /// let p = goprocess::Process::new().named("app");
    /// let c = goprocess::Process::with_parent(&p).named("db");
    /// let m = p.snapshot().to_mermaid();
    /// assert!(m.contains(&format!("p{} --> p{}", p.id(), c.id())));
    /// ```
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("flowchart TD\n");
        for p in &self.processes {
            let _ = writeln!(
                out,
                "  p{}[\"{}<br/>{}\"]",
                p.id,
                escape_mermaid(&p.display_name()),
                p.state
            );
        }
        for p in &self.processes {
            for (kind, target) in &p.edges {
                let arrow = match kind {
                    EdgeKind::Child => "-->",
                    EdgeKind::ChildNoWait => "-. no wait .->",
                    EdgeKind::WaitFor => "== waits for ==>",
                };
                let _ = writeln!(out, "  p{} {arrow} p{target}", p.id);
            }
        }
        for p in &self.processes {
            let class = match p.state {
                ProcessState::Running => continue,
                ProcessState::Closing => "closing",
                ProcessState::Closed => "closed",
            };
            let _ = writeln!(out, "  class p{} {class}", p.id);
        }
        out.push_str(
            "  classDef closing stroke:#e69500\n  classDef closed stroke:#999,color:#999\n",
        );
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn escape_mermaid(s: &str) -> String {
    s.replace('"', "#quot;")
}

/// What is drawn below a process: an edge, or a child of a supervisor
/// that has no run (a leaf).
enum Drawn<'a> {
    Edge(EdgeKind, u64),
    Idle(&'a crate::supervise::ChildInfo),
}

/// One line of the text tree, still to be written.
enum Line {
    Process {
        id: u64,
        prefix: String,
        connector: String,
        /// ` (no wait)`, ` (waited for)`, or nothing.
        mark: &'static str,
    },
    Wait(String),
}

impl Snapshot {
    /// The processes some child edge reaches from the root: the others are
    /// reached only as wait targets.
    fn reached_as_children(&self, index: &HashMap<u64, &ProcessInfo>) -> HashSet<u64> {
        let mut reached = HashSet::from([self.root]);
        let mut stack = vec![self.root];
        while let Some(id) = stack.pop() {
            let Some(p) = index.get(&id) else { continue };
            for (kind, target) in &p.edges {
                if *kind != EdgeKind::WaitFor && reached.insert(*target) {
                    stack.push(*target);
                }
            }
        }
        reached
    }
}

impl fmt::Display for Snapshot {
    /// Children are drawn under their parent. A wait target is a
    /// `waits for` line, except a process reached *only* through wait
    /// edges, which is drawn in full (marked `(waited for)`) at its first
    /// wait edge, so that nothing reached is left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let index = self.index();
        let as_children = self.reached_as_children(&index);
        let mut shown = HashSet::new();
        let mut stack = vec![Line::Process {
            id: self.root,
            prefix: String::new(),
            connector: String::new(),
            mark: "",
        }];
        while let Some(line) = stack.pop() {
            let (id, prefix, connector, mark) = match line {
                Line::Wait(text) => {
                    writeln!(f, "{text}")?;
                    continue;
                }
                Line::Process {
                    id,
                    prefix,
                    connector,
                    mark,
                } => (id, prefix, connector, mark),
            };
            let Some(p) = index.get(&id) else { continue };
            write!(f, "{connector}{}{mark}", p.display_name())?;
            if !shown.insert(id) {
                writeln!(f, " [shown above]")?;
                continue;
            }
            write!(f, " [{}", p.detail)?;
            if let Some(d) = p.closing_for {
                write!(f, " for {d:.1?}")?;
            }
            if let Some(cause) = &p.cause {
                write!(f, ": {cause}")?;
            }
            if let Some(age) = p.age {
                write!(f, ", age {age:.1?}")?;
            }
            if p.function_running {
                f.write_str(", function running")?;
            }
            if p.restarts > 0 {
                write!(f, ", {} restarts", p.restarts)?;
            }
            writeln!(f, "]")?;

            // Wait edges first (leaves, never expanded), then children; a
            // supervisor's children in their order, those without a run
            // as leaves.
            let runs: HashSet<u64> = p.supervised.iter().filter_map(|c| c.run()).collect();
            let mut below: Vec<Drawn<'_>> = p
                .edges
                .iter()
                .filter(|(k, _)| *k == EdgeKind::WaitFor)
                .map(|&(k, t)| Drawn::Edge(k, t))
                .collect();
            below.extend(
                p.edges
                    .iter()
                    .filter(|(k, t)| *k != EdgeKind::WaitFor && !runs.contains(t))
                    .map(|&(k, t)| Drawn::Edge(k, t)),
            );
            below.extend(p.supervised.iter().map(|c| match c.run() {
                Some(run) if p.edges.iter().any(|(_, t)| *t == run) => {
                    Drawn::Edge(EdgeKind::Child, run)
                }
                _ => Drawn::Idle(c),
            }));
            let count = below.len();
            for (i, item) in below.into_iter().enumerate().rev() {
                let last = i + 1 == count;
                let branch = if last { "└" } else { "├" };
                let (kind, target) = match item {
                    Drawn::Edge(kind, target) => (kind, target),
                    Drawn::Idle(child) => {
                        let mut line =
                            format!("{prefix}{branch}╌╌ {} ({}", child.name(), child.state());
                        if let Some(wait) = child.restart_in() {
                            let _ = write!(line, ", restarts in {wait:.1?}");
                        }
                        line.push(')');
                        stack.push(Line::Wait(line));
                        continue;
                    }
                };
                let drawn_elsewhere = as_children.contains(&target) || shown.contains(&target);
                if kind == EdgeKind::WaitFor && drawn_elsewhere {
                    let name = index
                        .get(&target)
                        .map(|t| t.display_name().into_owned())
                        .unwrap_or_else(|| format!("#{target}"));
                    stack.push(Line::Wait(format!("{prefix}{branch}╌╌ waits for {name}")));
                } else {
                    stack.push(Line::Process {
                        id: target,
                        prefix: format!("{prefix}{}", if last { "    " } else { "│   " }),
                        connector: format!("{prefix}{branch}── "),
                        mark: match kind {
                            EdgeKind::ChildNoWait => " (no wait)",
                            EdgeKind::WaitFor => " (waited for)",
                            EdgeKind::Child => "",
                        },
                    });
                }
            }
        }
        Ok(())
    }
}
