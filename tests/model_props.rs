//! Model-based property tests: random sequences of operations (`new`,
//! `with_parent`, `add_child`, `add_child_no_wait`, `wait_for`, `go` with
//! random durations, `close`, `close_after_children`, panics in process
//! functions and teardowns, time passing) run against the real crate on a
//! paused tokio clock, and checked against a small reference model:
//!
//! 1. every teardown runs exactly once;
//! 2. the order guarantee of the semantics: a process's teardown runs after
//!    the teardowns of every child and wait target linked before its
//!    teardown started;
//! 3. no accepted cycle: a waiting relation is refused with `Cycle` exactly
//!    when the model's own reachability (over the live waiting edges) says
//!    it would close one; otherwise `Closed` exactly when the parent has
//!    closed, else it is accepted;
//! 4. no hang: once everything is closed by hand, every `closed()`
//!    resolves within a second of (paused) time;
//! 5. flat edge sets: every closed process has no edge in or out (its
//!    snapshot shows none);
//! 6. the errors say what happened: every `close()` result equals the
//!    stored one; a panicking teardown or function gives `Panic`; a
//!    process made on a closed parent gives `ParentClosed`; with no panic
//!    injected (and no such process added as a child later, which its new
//!    parent lists), nothing else fails.
//!
//! `PROPTEST_CASES` sets the number of cases (default 512, about 3 s in
//! debug); the test prints the cases, operations and processes it ran.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use goprocess::{Error, ErrorKind, Process};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

#[derive(Clone, Debug)]
enum Op {
    New { panic: bool },
    WithParent { parent: usize, panic: bool },
    AddChild(usize, usize),
    AddChildNoWait(usize, usize),
    WaitFor(usize, usize),
    Go { parent: usize, ms: u64, panic: bool },
    Close(usize),
    CloseAfterChildren(usize),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    let idx = 0usize..64;
    let panic = prop::bool::weighted(0.1);
    prop_oneof![
        2 => panic.prop_map(|panic| Op::New { panic }),
        4 => (idx.clone(), panic).prop_map(|(parent, panic)| Op::WithParent { parent, panic }),
        4 => (idx.clone(), idx.clone()).prop_map(|(a, b)| Op::AddChild(a, b)),
        2 => (idx.clone(), idx.clone()).prop_map(|(a, b)| Op::AddChildNoWait(a, b)),
        4 => (idx.clone(), idx.clone()).prop_map(|(a, b)| Op::WaitFor(a, b)),
        3 => (idx.clone(), 0u64..200, panic).prop_map(|(parent, ms, panic)| Op::Go { parent, ms, panic }),
        2 => idx.clone().prop_map(Op::Close),
        1 => idx.prop_map(Op::CloseAfterChildren),
        3 => (0u64..100).prop_map(Op::Advance),
    ]
}

/// What the model knows of one process.
struct Node {
    p: Process,
    /// Its teardown or function is set to panic (and did run, for `go`).
    panics: bool,
    /// Made on a parent that had closed: `ParentClosed`.
    parent_closed: bool,
    /// A `go` function that runs (false when refused).
    function_ran: Option<Arc<AtomicBool>>,
}

/// An accepted waiting edge `from` → `to`, and whether `from`'s teardown
/// had already run when it was linked.
struct Edge {
    from: usize,
    to: usize,
    after_teardown: bool,
}

#[derive(Default)]
struct World {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    /// Teardown events, by node index, in the order they ran.
    log: Arc<Mutex<Vec<usize>>>,
    closes: Vec<(usize, tokio::task::JoinHandle<Result<(), Error>>)>,
    any_panic: bool,
    /// A process that had failed was added as a child after it closed.
    late_failed_child: bool,
}

impl World {
    fn teardown(
        &self,
        index: usize,
        panic: bool,
    ) -> impl FnOnce() -> Result<(), goprocess::BoxError> + Send + 'static {
        let log = self.log.clone();
        move || {
            log.lock().unwrap().push(index);
            if panic {
                panic!("injected: teardown of {index}");
            }
            Ok(())
        }
    }

    fn torn_down(&self, index: usize) -> bool {
        self.log.lock().unwrap().contains(&index)
    }

    fn pick(&self, i: usize) -> usize {
        i % self.nodes.len()
    }

    fn push(&mut self, p: Process, panics: bool, parent_closed: bool) -> usize {
        self.nodes.push(Node {
            p,
            panics,
            parent_closed,
            function_ran: None,
        });
        self.nodes.len() - 1
    }

    /// Whether `from` waits, directly or not, for `to` over live edges.
    fn reaches(&self, from: usize, to: usize) -> bool {
        let mut seen = HashSet::new();
        let mut stack = vec![from];
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if !seen.insert(n) {
                continue;
            }
            stack.extend(
                self.edges
                    .iter()
                    .filter(|e| e.from == n && !self.nodes[e.to].p.is_closed())
                    .map(|e| e.to),
            );
        }
        false
    }

    /// Checks a waiting relation's answer against the model, and records it.
    fn relation(
        &mut self,
        from: usize,
        to: usize,
        result: Result<(), Error>,
        expected_cycle: bool,
        was_closed: bool,
        after_teardown: bool,
    ) -> Result<(), TestCaseError> {
        match result {
            Err(e) if e.kind() == ErrorKind::Cycle => {
                CYCLES.fetch_add(1, Ordering::Relaxed);
                prop_assert!(
                    expected_cycle,
                    "refused as a cycle, but the model sees none: {from} -> {to}"
                );
            }
            Err(e) => {
                prop_assert!(
                    !expected_cycle,
                    "a cycle {from} -> {to} was not refused as one: {e}"
                );
                prop_assert_eq!(e.kind(), ErrorKind::Closed);
                prop_assert!(was_closed, "refused as closed, but it was not: {}", e);
            }
            Ok(()) => {
                if self.nodes[from].p.is_closing() {
                    WHILE_CLOSING.fetch_add(1, Ordering::Relaxed);
                }
                prop_assert!(!expected_cycle, "accepted a cycle {} -> {}", from, to);
                prop_assert!(!was_closed, "accepted on a closed process");
                self.edges.push(Edge {
                    from,
                    to,
                    after_teardown,
                });
            }
        }
        Ok(())
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match *op {
            Op::New { panic } => {
                let index = self.nodes.len();
                let p = Process::with_teardown(self.teardown(index, panic));
                self.any_panic |= panic;
                self.push(p, panic, false);
            }
            Op::WithParent { parent, panic } => {
                let parent = self.pick(parent);
                let was_closed = self.nodes[parent].p.is_closed();
                let after_teardown = self.torn_down(parent);
                let index = self.nodes.len();
                let p = Process::with_parent(&self.nodes[parent].p);
                let set = p.set_teardown(self.teardown(index, panic));
                self.any_panic |= panic;
                if was_closed {
                    prop_assert!(p.is_closed(), "a child of a closed parent is born closed");
                    prop_assert_eq!(set.unwrap_err().kind(), ErrorKind::Closed);
                    self.push(p, false, true);
                } else {
                    let mut own_panic = panic;
                    if let Err(e) = set {
                        // The child of a closing parent closes at once: with
                        // no teardown yet, it is closed before this set,
                        // which runs the teardown at once and discards its
                        // failure (Go's SetTeardown after close).
                        prop_assert_eq!(e.kind(), ErrorKind::Closed);
                        prop_assert!(self.nodes[parent].p.is_closing());
                        own_panic = false;
                    }
                    self.push(p, own_panic, false);
                    self.edges.push(Edge {
                        from: parent,
                        to: index,
                        after_teardown,
                    });
                }
            }
            Op::AddChild(a, b) | Op::WaitFor(a, b) => {
                let (a, b) = (self.pick(a), self.pick(b));
                let expected_cycle = a == b || self.reaches(b, a);
                let was_closed = self.nodes[a].p.is_closed();
                let after_teardown = self.torn_down(a);
                let result = if matches!(op, Op::AddChild(..)) {
                    self.nodes[a].p.add_child(&self.nodes[b].p)
                } else {
                    self.nodes[a].p.wait_for(&self.nodes[b].p)
                };
                let accepted = result.is_ok();
                // A child that failed before it was linked is listed by its
                // new parent, which then fails too.
                self.late_failed_child |=
                    accepted && matches!(op, Op::AddChild(..)) && self.nodes[b].parent_closed;
                self.relation(a, b, result, expected_cycle, was_closed, after_teardown)?;
                if accepted && matches!(op, Op::AddChild(..)) && self.nodes[a].p.is_closing() {
                    prop_assert!(
                        self.nodes[b].p.is_closing(),
                        "a child of a closing process is closed at once"
                    );
                }
            }
            Op::AddChildNoWait(a, b) => {
                let (a, b) = (self.pick(a), self.pick(b));
                self.nodes[a].p.add_child_no_wait(&self.nodes[b].p);
                if self.nodes[a].p.is_closing() && a != b {
                    prop_assert!(self.nodes[b].p.is_closing());
                }
            }
            Op::Go { parent, ms, panic } => {
                let parent = self.pick(parent);
                let was_closed = self.nodes[parent].p.is_closed();
                let after_teardown = self.torn_down(parent);
                let ran = Arc::new(AtomicBool::new(false));
                let r = ran.clone();
                let p = self.nodes[parent].p.go(move |me| async move {
                    r.store(true, Ordering::SeqCst);
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(ms)) => {}
                        _ = me.closing() => {}
                    }
                    if panic {
                        panic!("injected: function");
                    }
                });
                let index = self.nodes.len();
                let set = p.set_teardown(self.teardown(index, false));
                if was_closed {
                    prop_assert!(p.is_closed());
                    prop_assert_eq!(set.unwrap_err().kind(), ErrorKind::Closed);
                    self.push(p, false, true);
                } else {
                    set.unwrap();
                    self.any_panic |= panic;
                    let i = self.push(p, panic, false);
                    self.nodes[i].function_ran = Some(ran);
                    self.edges.push(Edge {
                        from: parent,
                        to: index,
                        after_teardown,
                    });
                }
            }
            Op::Close(i) => {
                let i = self.pick(i);
                self.closes.push((i, tokio::spawn(self.nodes[i].p.close())));
            }
            Op::CloseAfterChildren(i) => {
                let i = self.pick(i);
                self.closes
                    .push((i, tokio::spawn(self.nodes[i].p.close_after_children())));
            }
            // Time passes in `run_case`: `apply` is sync, so that no task
            // runs between an answer and the model's check of it.
            Op::Advance(_) => {}
        }
        Ok(())
    }
}

static CASES: AtomicUsize = AtomicUsize::new(0);
static OPS: AtomicUsize = AtomicUsize::new(0);
static PROCESSES: AtomicUsize = AtomicUsize::new(0);
static CYCLES: AtomicUsize = AtomicUsize::new(0);
static WHILE_CLOSING: AtomicUsize = AtomicUsize::new(0);

fn run_case(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async move {
        let mut world = World::default();
        let index = world.nodes.len();
        let root = Process::with_teardown(world.teardown(index, false));
        world.push(root, false, false);
        for op in &ops {
            match op {
                Op::Advance(ms) => tokio::time::sleep(Duration::from_millis(*ms)).await,
                other => world.apply(other)?,
            }
        }
        CASES.fetch_add(1, Ordering::Relaxed);
        OPS.fetch_add(ops.len(), Ordering::Relaxed);
        PROCESSES.fetch_add(world.nodes.len(), Ordering::Relaxed);

        // No hang: close everything by hand; all closes within a second.
        let all: Vec<Process> = world.nodes.iter().map(|n| n.p.clone()).collect();
        let finals: Vec<_> = all.iter().map(|p| tokio::spawn(p.close())).collect();
        let closed_all = tokio::time::timeout(Duration::from_secs(1), async {
            for p in &all {
                p.closed().await;
            }
        })
        .await;
        if closed_all.is_err() {
            let open: Vec<String> = all
                .iter()
                .enumerate()
                .filter(|(_, p)| !p.is_closed())
                .map(|(i, p)| format!("{i}: {}", p.shutdown_report()))
                .collect();
            return Err(TestCaseError::fail(format!("hung: still open: {open:#?}")));
        }

        // Exactly once.
        let log = world.log.lock().unwrap().clone();
        for i in 0..world.nodes.len() {
            let runs = log.iter().filter(|e| **e == i).count();
            prop_assert_eq!(
                runs,
                1,
                "teardown of {} ran {} times; log {:?}",
                i,
                runs,
                log
            );
        }
        let pos = |i: usize| log.iter().position(|e| *e == i).unwrap();
        // Order: after every target linked before the teardown started.
        for e in &world.edges {
            if !e.after_teardown {
                prop_assert!(
                    pos(e.to) < pos(e.from),
                    "{} tore down before {}, which it waited for; log {:?}",
                    e.from,
                    e.to,
                    log
                );
            }
        }
        // Flat edge sets, and errors that say what happened.
        for (i, node) in world.nodes.iter().enumerate() {
            prop_assert_eq!(common::edge_counts(&node.p), (0, 0), "process {}", i);
            let stored = node.p.err().await;
            let ran = node
                .function_ran
                .as_ref()
                .is_none_or(|r| r.load(Ordering::SeqCst));
            match &stored {
                Err(e) if node.parent_closed => prop_assert_eq!(e.kind(), ErrorKind::ParentClosed),
                Err(e) if node.panics && ran => {
                    prop_assert_eq!(e.kind(), ErrorKind::Panic, "{}", e)
                }
                _ if node.parent_closed => prop_assert!(false, "{} should be ParentClosed", i),
                _ if node.panics && ran => prop_assert!(false, "{} should have panicked", i),
                Err(e) => prop_assert!(
                    world.any_panic || world.late_failed_child,
                    "{} failed with no panic injected: {}",
                    i,
                    e
                ),
                Ok(()) => {}
            }
        }
        let mut closes = std::mem::take(&mut world.closes);
        closes.extend(finals.into_iter().enumerate());
        for (i, close) in closes {
            let result = close.await.expect("close tasks do not panic");
            let stored = world.nodes[i].p.err().await;
            prop_assert_eq!(
                result.as_ref().map_err(Error::kind),
                stored.as_ref().map_err(Error::kind),
                "close() of {} and its stored result differ",
                i
            );
        }
        Ok(())
    })
}

#[test]
fn random_operation_sequences_match_the_model() {
    common::quiet_injected_panics();
    let (mut runner, cases) = common::prop_runner();
    let result = runner.run(&prop::collection::vec(op(), 1..80), run_case);
    eprintln!(
        "model_props: {} cases, {} operations, {} processes, {} cycles refused, {} relations accepted on closing processes",
        CASES.load(Ordering::Relaxed),
        OPS.load(Ordering::Relaxed),
        PROCESSES.load(Ordering::Relaxed),
        CYCLES.load(Ordering::Relaxed),
        WHILE_CLOSING.load(Ordering::Relaxed),
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    if cases >= 128 {
        // The generator reaches the interesting answers, so the checks bite.
        assert!(
            CYCLES.load(Ordering::Relaxed) > 0,
            "no cycle was ever tried"
        );
        assert!(
            WHILE_CLOSING.load(Ordering::Relaxed) > 0,
            "no relation on a closing process"
        );
    }
}
