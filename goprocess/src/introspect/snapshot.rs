//! A point-in-time view of a live process graph, rendered as a text tree,
//! Graphviz DOT or Mermaid.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::escape::{Segment, Text};
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

/// A path from the viewed process, one node per process: the paths of a
/// view share their prefixes, so a view costs the same per process at any
/// depth. Read from the leaf up.
pub(super) struct PathNode {
    name: Cow<'static, str>,
    parent: Option<Arc<PathNode>>,
    /// How many names the whole path has, this one included.
    depth: usize,
    /// Names left out just above this one (in the report a `Timeout` error
    /// carries, see [`ShutdownReport::bounded`](super::ShutdownReport)).
    skipped: usize,
}

/// How many names of a path the text outputs show: the last ones, after
/// `…/` when there are more. (`ProcessInfo::path` has them all.)
pub(super) const PATH_SHOWN: usize = 15;

/// What stands for the names left out of a path.
const ELISION: &str = "…";

impl PathNode {
    fn below(parent: Option<Arc<PathNode>>, name: Cow<'static, str>) -> Arc<PathNode> {
        Arc::new(PathNode {
            name,
            depth: parent.as_ref().map_or(1, |p| p.depth + 1),
            parent,
            skipped: 0,
        })
    }

    /// A path of `names` (the top one first) whose full path has `depth`
    /// names: those above the kept ones are counted, not kept.
    pub(super) fn kept(names: Vec<Cow<'static, str>>, depth: usize) -> Arc<PathNode> {
        let first = depth + 1 - names.len();
        let mut path: Option<Arc<PathNode>> = None;
        for (i, name) in names.into_iter().enumerate() {
            path = Some(Arc::new(PathNode {
                name,
                parent: path,
                depth: first + i,
                skipped: if i == 0 { first - 1 } else { 0 },
            }));
        }
        path.expect("a path has at least one name")
    }

    /// The nodes from this one up, at most `n` of them.
    fn up(self: &Arc<PathNode>, n: usize) -> impl Iterator<Item = &Arc<PathNode>> {
        std::iter::successors(Some(self), |p| p.parent.as_ref()).take(n)
    }

    /// The same path with its last [`PATH_SHOWN`] names only (the others
    /// counted), so that it holds no more whatever the depth.
    pub(super) fn shortened(self: &Arc<PathNode>) -> Arc<PathNode> {
        if self.depth <= PATH_SHOWN && self.skipped == 0 {
            return self.clone();
        }
        let mut names: Vec<Cow<'static, str>> =
            self.up(PATH_SHOWN).map(|n| n.name.clone()).collect();
        names.reverse();
        PathNode::kept(names, self.depth)
    }
}

impl Drop for PathNode {
    /// Iterative: a path 100,000 deep must not recurse 100,000 times.
    fn drop(&mut self) {
        let mut next = self.parent.take();
        while let Some(node) = next {
            match Arc::try_unwrap(node) {
                Ok(mut node) => next = node.parent.take(),
                Err(_) => break,
            }
        }
    }
}

impl fmt::Display for PathNode {
    /// The names joined with `/`, each escaped (see `escape`); only the
    /// last [`PATH_SHOWN`] of a longer path, after `…/`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut kept: Vec<&PathNode> = Vec::new();
        let mut node = Some(self);
        while let Some(n) = node {
            if kept.len() == PATH_SHOWN {
                break;
            }
            kept.push(n);
            if n.skipped > 0 {
                break;
            }
            node = n.parent.as_deref();
        }
        if kept.last().is_some_and(|top| top.depth > 1) {
            write!(f, "{ELISION}/")?;
        }
        for (i, n) in kept.iter().rev().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            write!(f, "{}", Segment(&n.name))?;
        }
        Ok(())
    }
}

impl fmt::Debug for PathNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// How many of the processes it waits for a report line names before it
/// only counts them.
const WAITS_SHOWN: usize = 8;

/// One process as a [`Snapshot`] or a [`ShutdownReport`](super::ShutdownReport)
/// shows it.
///
/// Its `Display` is a report line: the path from the viewed process, where
/// it is in its life and why, and what it still waits for, e.g.
/// ``"`app/db` (closing for 5.0s: closed by its parent `app`; waits for its function)"``.
/// Names are escaped so that each stays visible on its line (`\n` for a
/// newline, `\\` for `\`), and `/` within a name shows as `\/`; a path
/// deeper than 15 shows its last 15 names after `…/`; at most 8 of the
/// processes it waits for are named, the others counted.
#[derive(Clone)]
pub struct ProcessInfo {
    id: u64,
    named: bool,
    path: Arc<PathNode>,
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
    /// Processes it waits for that `waiting_for` leaves out (in the report
    /// a `Timeout` error carries).
    waiting_for_omitted: usize,
    /// For a supervisor: whether it is one, and its children.
    supervisor: bool,
    supervised: Vec<crate::supervise::ChildInfo>,
    /// Whether it is ready; if not, since when, and what its own
    /// readiness waits for (if it signals it).
    ready: bool,
    not_ready_for: Option<Duration>,
    ready_awaits: Option<&'static str>,
}

impl ProcessInfo {
    /// Whether it was [ready](Process::is_ready) (it and every child its
    /// start waits for).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let app = goprocess::Process::new().named("app");
    /// app.child().named("db").signals_ready().go(|me| async move { me.closing().await });
    /// let snapshot = app.snapshot();
    /// let db = snapshot.processes().iter().find(|p| p.name() == Some("db")).unwrap();
    /// assert!(!db.is_ready());
    /// assert_eq!(db.ready_awaits(), Some("set_ready()"));
    /// assert!(snapshot.to_string().contains("db [running, not ready"), "{snapshot}");
    /// # app.close().await.unwrap();
    /// # }
    /// ```
    pub fn is_ready(&self) -> bool {
        self.ready
    }

    /// For a process that is not ready: for how long.
    pub fn not_ready_for(&self) -> Option<Duration> {
        self.not_ready_for
    }

    /// For a process that signals its readiness itself and has not yet:
    /// what that waits for (`set_ready()`, a struct's `#[init]`).
    pub fn ready_awaits(&self) -> Option<&'static str> {
        self.ready_awaits
    }

    /// The process's [`id`](Process::id).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Its [name](Process::named), if it has one.
    pub fn name(&self) -> Option<&str> {
        self.named.then_some(&*self.path.name)
    }

    /// Its name, or `#id`.
    pub fn display_name(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.path.name)
    }

    /// The names from the viewed process down to this one (the path by
    /// which the view first reached it), each name as it is (not escaped).
    ///
    /// Made when asked, from a path the processes of a view share (a view
    /// holds one name per process, whatever the depth): reading the paths
    /// of every process of a chain `n` deep costs `n²`, so use
    /// [`depth`](Self::depth) where the length is all that matters.
    ///
    /// In the report a `Timeout` error carries, which must stay small
    /// whatever the tree, a path deeper than 15 keeps only its last 15
    /// names, after one `"…"` that stands for the others.
    ///
    /// ```
    /// use goprocess::Process;
    ///
    /// let app = Process::new().named("app");
    /// let db = Process::with_parent(&app).named("db");
    /// let info = app.snapshot().get(db.id()).unwrap().clone();
    /// assert_eq!(info.path(), ["app", "db"]);
    /// assert_eq!(info.depth(), 2);
    /// ```
    pub fn path(&self) -> Vec<Cow<'static, str>> {
        let mut names = Vec::with_capacity(self.path.depth.min(PATH_SHOWN + 1));
        for node in self.path.up(usize::MAX) {
            names.push(node.name.clone());
            if node.skipped > 0 {
                names.push(Cow::Borrowed(ELISION));
                break;
            }
        }
        names.reverse();
        names
    }

    /// How many names its full path has: 1 for the viewed process, 2 for
    /// its children, and so on.
    pub fn depth(&self) -> usize {
        self.path.depth
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

    /// Its outgoing edges: the kind, and the target's id. (In the report
    /// a `Timeout` error carries: the first 16.)
    pub fn edges(&self) -> &[(EdgeKind, u64)] {
        &self.edges
    }

    /// The ids of the processes with an edge to it, of any kind: its
    /// parents and the processes that wait for it (those still alive). A
    /// process leaves them all when it closes, so a Closed process has no
    /// incoming edge, and no outgoing one either. (In the report a
    /// `Timeout` error carries: the first 16.)
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
    /// Closed yet), by name. (In the report a `Timeout` error carries: the
    /// first 16, the others counted by
    /// [`waiting_for_count`](Self::waiting_for_count).)
    pub fn waiting_for(&self) -> &[Cow<'static, str>] {
        &self.waiting_for
    }

    /// How many processes it still waits for, named in
    /// [`waiting_for`](Self::waiting_for) or not.
    pub fn waiting_for_count(&self) -> usize {
        self.waiting_for.len() + self.waiting_for_omitted
    }

    /// This information with what grows with the tree cut to a fixed size:
    /// its path to its last names, its lists to their first 16.
    pub(super) fn bounded(&self) -> ProcessInfo {
        const KEPT: usize = 16;
        let mut info = self.clone();
        info.path = self.path.shortened();
        info.edges.truncate(KEPT);
        info.incoming.truncate(KEPT);
        info.waiting_for_omitted += info.waiting_for.len().saturating_sub(KEPT);
        info.waiting_for.truncate(KEPT);
        info
    }
}

impl fmt::Debug for ProcessInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ProcessInfo");
        d.field("id", &self.id)
            .field("path", &self.path)
            .field("state", &self.state)
            .field("detail", &self.detail);
        if let Some(cause) = &self.cause {
            d.field("cause", cause);
        }
        if self.waiting_for_count() > 0 {
            d.field("waiting_for", &self.waiting_for_count());
        }
        if self.function_running {
            d.field("function_running", &true);
        }
        d.finish_non_exhaustive()
    }
}

impl ProcessInfo {
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
        write!(f, "`{}` ({}", self.path, self.detail)?;
        if let Some(d) = self.closing_for {
            write!(f, " for {d:.1?}")?;
        }
        if let Some(cause) = &self.cause {
            write!(f, ": {}", Text(cause))?;
        }
        if !self.ready && self.state == ProcessState::Running {
            f.write_str(", not ready")?;
            if let Some(d) = self.not_ready_for {
                write!(f, " for {d:.1?}")?;
            }
        }
        let mut first = true;
        let opening = if self.supervisor {
            "; waits for its runs "
        } else {
            "; waits for "
        };
        let mut wait = |f: &mut fmt::Formatter<'_>, what: fmt::Arguments<'_>| {
            f.write_str(if first { opening } else { ", " })?;
            first = false;
            f.write_fmt(what)
        };
        if let Some(own) = self.ready_awaits {
            wait(f, format_args!("{own}"))?;
        }
        for w in self.waiting_for.iter().take(WAITS_SHOWN) {
            wait(f, format_args!("`{}`", Text(w)))?;
        }
        let more = self.waiting_for_count().saturating_sub(WAITS_SHOWN);
        if more > 0 {
            wait(f, format_args!("{more} more"))?;
        }
        // A supervisor's function is its loop, which closes its runs: what
        // it waits for is those runs.
        if self.function_running && !self.supervisor {
            wait(f, format_args!("its function"))?;
        }
        f.write_str(")")
    }
}

/// What a view reads of a process under its lock and resolves once no
/// lock is held, so that no other process's lock is taken under it, and
/// dropping the last handle of a parent never runs under a lock.
pub(super) struct Unresolved {
    incoming: Vec<Weak<Inner>>,
    waiting: Vec<Process>,
    cause: StoredCause,
    /// For a supervisor: where its children are listed.
    supervisor: Option<crate::supervise::View>,
}

/// The name a view shows for a process: whether it has one, and it (or
/// `#id`).
pub(super) fn name_of(p: &Process, st: &State) -> (bool, Cow<'static, str>) {
    match st.name() {
        Some(name) => (true, name),
        None => (false, Cow::Owned(format!("#{}", p.id()))),
    }
}

/// Reads `p`, whose path is `path`, under its lock `st`.
pub(super) fn read_one(
    p: &Process,
    st: &State,
    named: bool,
    path: Arc<PathNode>,
    now: Stamp,
) -> (ProcessInfo, Unresolved) {
    let background = p.is_background();
    let info = ProcessInfo {
        id: p.id(),
        named,
        path,
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
        waiting_for_omitted: 0,
        supervisor: st.cold().supervisor.is_some(),
        supervised: Vec::new(),
        ready: crate::process::ready::is_ready(st),
        not_ready_for: (!crate::process::ready::is_ready(st))
            .then(|| st.cold().ready.since.elapsed_at(now))
            .flatten(),
        ready_awaits: (st.step == Step::Running && st.cold().ready.self_pending)
            .then_some(st.cold().ready.awaits),
    };
    let later = Unresolved {
        supervisor: st.cold().supervisor.clone(),
        incoming: st
            .parent_links()
            .map(|(parent, _)| parent.clone())
            .collect(),
        waiting: st.targets(|e| e.waiting()).collect(),
        cause: st.cause_stored(),
    };
    (info, later)
}

/// Completes what [`read_one`] read, outside every lock.
pub(super) fn resolve(info: &mut ProcessInfo, later: Unresolved) {
    info.cause = later.cause.resolve();
    if let Some(supervisor) = &later.supervisor {
        info.supervised = supervisor.children();
    }
    info.incoming = later
        .incoming
        .iter()
        .filter_map(Weak::upgrade)
        .map(|parent: Arc<Inner>| parent.id())
        .collect();
    info.waiting_for = later
        .waiting
        .iter()
        .filter(|w| !w.is_closed())
        .map(Process::display_name)
        .collect();
}

/// Reads the processes `root` reaches through the edges `follow` selects
/// (all of them for a snapshot, the closing ones for a report), each once,
/// depth first; `keep` decides which are listed (a report leaves the
/// Closed ones out, and does not go below them). Linear in the processes
/// and edges reached, at any depth: paths are shared (see [`PathNode`]).
pub(super) fn read(
    root: &Process,
    follow: impl Fn(&EdgeRef<'_>) -> bool,
    keep: impl Fn(&State) -> bool,
) -> Vec<ProcessInfo> {
    let now = Stamp::now();
    let mut processes = Vec::new();
    let mut later = Vec::new();
    walk(root, None, |p, st, above: &Option<Arc<PathNode>>| {
        if !keep(st) {
            return Below::Skip;
        }
        let (named, name) = name_of(p, st);
        let path = PathNode::below(above.clone(), name);
        let (info, unresolved) = read_one(p, st, named, path.clone(), now);
        processes.push(info);
        later.push(unresolved);
        Below::Into(Some(path), st.targets(&follow).collect())
    });
    for (info, unresolved) in processes.iter_mut().zip(later) {
        resolve(info, unresolved);
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
#[derive(Clone)]
pub struct Snapshot {
    root: u64,
    /// In discovery order: the root first.
    processes: Vec<ProcessInfo>,
    /// Where each id is in `processes`.
    positions: HashMap<u64, usize>,
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("root", &self.root)
            .field("processes", &self.processes)
            .finish()
    }
}

impl Snapshot {
    pub(crate) fn take(root: &Process) -> Snapshot {
        let processes = read(root, |_| true, |_| true);
        let positions = processes
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id, i))
            .collect();
        Snapshot {
            root: root.id(),
            processes,
            positions,
        }
    }

    /// Every process reached, the root first.
    pub fn processes(&self) -> &[ProcessInfo] {
        &self.processes
    }

    /// The process with this id, if it was reached.
    pub fn get(&self, id: u64) -> Option<&ProcessInfo> {
        self.positions.get(&id).map(|&i| &self.processes[i])
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
                super::escape::mermaid(&p.display_name()),
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

/// How many levels the text tree indents; deeper processes are drawn at
/// that indentation with their depth, so that a chain 100,000 deep draws
/// in lines of bounded length (the tree stays linear in its processes).
const INDENTED: usize = 32;

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
        /// How deep it is drawn: 0 for the root.
        depth: usize,
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
    /// wait edge, so that nothing reached is left out. Names are escaped
    /// (see [`ProcessInfo`]'s `Display`), so every line is one process or
    /// one wait. Below 32 levels the indentation stops growing and each
    /// line says its depth (`[depth 40]`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let index = self.index();
        let as_children = self.reached_as_children(&index);
        let mut shown = HashSet::new();
        let mut stack = vec![Line::Process {
            id: self.root,
            depth: 0,
            prefix: String::new(),
            connector: String::new(),
            mark: "",
        }];
        while let Some(line) = stack.pop() {
            let (id, depth, prefix, connector, mark) = match line {
                Line::Wait(text) => {
                    writeln!(f, "{text}")?;
                    continue;
                }
                Line::Process {
                    id,
                    depth,
                    prefix,
                    connector,
                    mark,
                } => (id, depth, prefix, connector, mark),
            };
            let Some(p) = index.get(&id) else { continue };
            f.write_str(&connector)?;
            if depth > INDENTED {
                write!(f, "[depth {depth}] ")?;
            }
            write!(f, "{}{mark}", Text(p.display_name()))?;
            if !shown.insert(id) {
                writeln!(f, " [shown above]")?;
                continue;
            }
            write!(f, " [{}", p.detail)?;
            if let Some(d) = p.closing_for {
                write!(f, " for {d:.1?}")?;
            }
            if let Some(cause) = &p.cause {
                write!(f, ": {}", Text(cause))?;
            }
            if !p.ready && p.state == ProcessState::Running {
                f.write_str(", not ready")?;
                if let Some(d) = p.not_ready_for {
                    write!(f, " for {d:.1?}")?;
                }
                if let Some(own) = p.ready_awaits {
                    write!(f, ": waits for {own}")?;
                }
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
            let indent = depth < INDENTED;
            for (i, item) in below.into_iter().enumerate().rev() {
                let last = i + 1 == count;
                let branch = if last { "└" } else { "├" };
                let (kind, target) = match item {
                    Drawn::Edge(kind, target) => (kind, target),
                    Drawn::Idle(child) => {
                        let mut line = format!(
                            "{prefix}{branch}╌╌ {} ({}",
                            Text(child.name()),
                            child.state()
                        );
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
                        .map(|t| Text(t.display_name()).to_string())
                        .unwrap_or_else(|| format!("#{target}"));
                    stack.push(Line::Wait(format!("{prefix}{branch}╌╌ waits for {name}")));
                } else {
                    let prefix_below = if indent {
                        format!("{prefix}{}", if last { "    " } else { "│   " })
                    } else {
                        prefix.clone()
                    };
                    stack.push(Line::Process {
                        id: target,
                        depth: depth + 1,
                        prefix: prefix_below,
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
