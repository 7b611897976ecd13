//! Views and budgets over a chain 100,000 deep (as the chain benchmark
//! builds): each costs the same per process at any depth. The time bounds
//! are generous for a debug build on a loaded machine, and far below what
//! a cost quadratic in the depth takes (minutes, or all the memory).

mod common;

use std::time::{Duration, Instant};

use common::within;
use goprocess::{ErrorKind, Process};

const DEEP: usize = 100_000;

/// Bounds a step that is linear in the depth.
const LINEAR: Duration = Duration::from_secs(20);

/// `root`, then a chain of `DEEP - 1` processes below it; the last one.
fn chain(root: &Process) -> Process {
    let mut last = root.clone();
    for i in 1..DEEP {
        last = Process::with_parent(&last).named(format!("n{i}"));
    }
    last
}

#[track_caller]
fn linear(what: &str, start: Instant) {
    let took = start.elapsed();
    assert!(took < LINEAR, "{what} took {took:?} at {DEEP} deep");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_returns_on_time_over_a_chain_100_000_deep() {
    let root = Process::new().named("root");
    let leaf = chain(&root)
        .go(|_| std::future::pending::<()>())
        .named("leaf");

    let start = Instant::now();
    let err = within(root.close_within(Duration::from_millis(100)))
        .await
        .unwrap_err();
    linear("close_within(100ms)", start);
    assert_eq!(err.kind(), ErrorKind::Timeout);

    // What the error carries is bounded: the reported process and the
    // stuck leaf first, by their last names; the others counted.
    let report = err.shutdown_report().unwrap();
    assert!(report.open().len() <= 1024, "{}", report.open().len());
    assert_eq!(report.open().len() + report.omitted(), DEEP + 1);
    assert_eq!(report.open()[0].id(), root.id());
    let stuck = &report.open()[1];
    assert_eq!(stuck.id(), leaf.id(), "what blocks the others comes next");
    assert_eq!(stuck.depth(), DEEP + 1);
    let path = stuck.path();
    assert_eq!(path.len(), 16, "{path:?}");
    assert_eq!(path[0], "…");
    assert_eq!(path[14..], ["n99999", "leaf"]);
    let line = err.to_string();
    assert!(line.len() < 2_000, "{} bytes: {line}", line.len());
    assert!(
        line.contains("`…/n99986/") && line.contains("/n99999/leaf` (closing"),
        "{line}"
    );
    let debug = format!("{err:?}");
    assert!(debug.len() < 4_000, "{} bytes: {debug}", debug.len());
    let tree = format!("{err:#}");
    assert!(tree.len() < 1_024 * 400, "{} bytes", tree.len());

    let start = Instant::now();
    within(root.closed()).await;
    linear("closing the rest", start);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_and_reports_are_linear_in_the_depth() {
    let root = Process::new().named("root");
    let leaf = chain(&root);

    let start = Instant::now();
    let snapshot = root.snapshot();
    linear("snapshot()", start);
    assert_eq!(snapshot.processes().len(), DEEP);
    for p in snapshot.processes() {
        assert_eq!(snapshot.get(p.id()).unwrap().depth(), p.depth());
    }
    let last = snapshot.get(leaf.id()).unwrap();
    assert_eq!(last.depth(), DEEP);
    assert_eq!(last.path().len(), DEEP);
    assert_eq!(last.path()[DEEP - 2..], ["n99998", "n99999"]);

    let start = Instant::now();
    let text = snapshot.to_string();
    let dot = snapshot.to_dot();
    let mermaid = snapshot.to_mermaid();
    linear("the text tree, DOT and Mermaid", start);
    for (what, out) in [("text", &text), ("DOT", &dot), ("Mermaid", &mermaid)] {
        assert!(out.len() < DEEP * 200, "{what}: {} bytes", out.len());
    }
    let deepest = text.lines().last().unwrap();
    assert!(
        deepest.ends_with(&format!(
            "└── [depth {}] n99999 [running, age 0.0ns]",
            DEEP - 1
        )) || deepest.contains(&format!("[depth {}] n99999 [running", DEEP - 1)),
        "{deepest}"
    );

    let start = Instant::now();
    let report = root.shutdown_report();
    let shown = report.to_string();
    linear("shutdown_report() and its text", start);
    assert_eq!(report.open().len(), DEEP, "a report lists everything");
    assert_eq!(report.omitted(), 0);
    assert!(shown.len() < DEEP * 300, "{} bytes", shown.len());
    assert!(
        shown.ends_with("`…/n99985/n99986/n99987/n99988/n99989/n99990/n99991/n99992/n99993/n99994/n99995/n99996/n99997/n99998/n99999` (running)"),
        "{}",
        shown.lines().last().unwrap()
    );

    let start = Instant::now();
    drop((snapshot, report, text, dot, mermaid, shown));
    within(root.close()).await.unwrap();
    linear("closing", start);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_returns_on_time_over_a_chain_whose_leaf_waits_outside() {
    let root = Process::new().named("root");
    let journal = Process::new().named("journal");
    chain(&root).wait_for(&journal).unwrap();

    let start = Instant::now();
    let err = within(root.close_within(Duration::from_millis(100)))
        .await
        .unwrap_err();
    linear("close_within(100ms)", start);
    assert_eq!(err.kind(), ErrorKind::Timeout);
    let report = err.shutdown_report().unwrap();
    assert_eq!(report.open().len() + report.omitted(), DEEP);
    let stuck = &report.open()[1];
    assert_eq!(stuck.depth(), DEEP);
    assert_eq!(stuck.waiting_for(), ["journal"]);
    assert!(err.to_string().len() < 2_000);

    // A wait target is never closed by the waiter's budget: the chain
    // closes once it does.
    let start = Instant::now();
    within(journal.close()).await.unwrap();
    within(root.closed()).await;
    linear("closing the rest", start);
}
