//! Shutdown order of `#[process]` structs: sibling `#[wait_for(..)]`
//! chains, nested structs, and the teardown running last.
#![deny(warnings, clippy::all)]

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use goprocess::{Handle, Process, Start, process, teardown};
use tokio::sync::Notify;

type Log = Arc<Mutex<Vec<&'static str>>>;

fn log() -> Log {
    Arc::default()
}

fn events(log: &Log) -> Vec<&'static str> {
    log.lock().unwrap().clone()
}

fn position(events: &[&'static str], name: &str) -> usize {
    events
        .iter()
        .position(|e| *e == name)
        .unwrap_or_else(|| panic!("`{name}` did not happen: {events:?}"))
}

/// A leaf process that records its name when it tears down.
fn leaf(log: &Log, name: &'static str) -> Process {
    let log = Arc::clone(log);
    Process::with_teardown(move || {
        log.lock().unwrap().push(name);
        Ok(())
    })
}

/// A leaf whose teardown records `name` only once `gate` is notified.
fn gated_leaf(log: &Log, name: &'static str, started: Arc<Notify>, gate: Arc<Notify>) -> Process {
    let log = Arc::clone(log);
    Process::with_async_teardown(move || async move {
        started.notify_one();
        gate.notified().await;
        log.lock().unwrap().push(name);
        Ok(())
    })
}

async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("timed out")
}

#[process]
struct Chain {
    #[child]
    http: Process,
    #[child]
    #[wait_for(http)]
    db: Process,
    #[child]
    #[wait_for(db, http)]
    cache: Process,
    #[child]
    metrics: Process,
    log: Log,
}

impl Chain {
    #[teardown]
    fn done(&self) {
        self.log.lock().unwrap().push("chain");
    }
}

#[test]
fn shutdown_order_lists_the_stages() {
    assert_eq!(
        Chain::shutdown_plan().stages(),
        &[&["http", "metrics"][..], &["db"], &["cache"]]
    );
}

#[tokio::test]
async fn sibling_chain_closes_in_order_and_teardown_runs_last() {
    let log = log();
    let chain = Chain {
        http: leaf(&log, "http"),
        db: leaf(&log, "db"),
        cache: leaf(&log, "cache"),
        metrics: leaf(&log, "metrics"),
        log: Arc::clone(&log),
    }
    .start();
    within(chain.process().close()).await.unwrap();

    let events = events(&log);
    assert_eq!(events.len(), 5, "{events:?}");
    let at = |name| position(&events, name);
    assert!(at("http") < at("db"), "{events:?}");
    assert!(at("db") < at("cache"), "{events:?}");
    // `metrics` is unordered with respect to the chain: it happens, before
    // the teardown, in any order relative to its siblings.
    assert!(at("metrics") < at("chain"), "{events:?}");
    assert_eq!(events.last(), Some(&"chain"));
}

#[tokio::test]
async fn a_waiting_child_does_not_start_closing_before_its_target_has_closed() {
    let log = log();
    let (started, gate) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let chain = Chain {
        http: gated_leaf(&log, "http", Arc::clone(&started), Arc::clone(&gate)),
        db: leaf(&log, "db"),
        cache: leaf(&log, "cache"),
        metrics: leaf(&log, "metrics"),
        log: Arc::clone(&log),
    }
    .start();
    let closing = tokio::spawn(chain.process().close());
    within(started.notified()).await;

    // `http` is stuck in its teardown: `db` and `cache` must not even have
    // started closing, and the struct's teardown has not run.
    assert!(!chain.db.is_closing());
    assert!(!chain.cache.is_closing());
    assert!(!events(&log).contains(&"chain"));

    gate.notify_one();
    within(closing).await.unwrap().unwrap();
    let events = events(&log);
    assert!(
        position(&events, "http") < position(&events, "db"),
        "{events:?}"
    );
    assert_eq!(events.last(), Some(&"chain"));
}

#[tokio::test]
async fn unordered_siblings_close_concurrently() {
    // `left` and `right` have no edge between them: with `left` stuck in its
    // teardown, `right` still closes.
    #[process]
    struct Pair {
        #[child]
        left: Process,
        #[child]
        right: Process,
    }

    let log = log();
    let (started, gate) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let pair = Pair {
        left: gated_leaf(&log, "left", Arc::clone(&started), Arc::clone(&gate)),
        right: leaf(&log, "right"),
    }
    .start();
    let closing = tokio::spawn(pair.process().close());
    within(started.notified()).await;
    within(pair.right.closed()).await;
    assert!(!pair.left.is_closed());

    gate.notify_one();
    within(closing).await.unwrap().unwrap();
    let mut events = events(&log);
    events.sort_unstable();
    assert_eq!(events, ["left", "right"]);
}

#[process]
struct Inner {
    #[child]
    leaf: Process,
    log: Log,
}

impl Inner {
    #[teardown]
    async fn done(&self) {
        tokio::task::yield_now().await;
        self.log.lock().unwrap().push("inner");
    }
}

#[process]
struct Outer {
    #[child]
    inner: Handle<Inner>,
    #[child]
    #[wait_for(inner)]
    after_inner: Process,
    log: Log,
}

impl Outer {
    #[teardown]
    fn done(&self) {
        self.log.lock().unwrap().push("outer");
    }
}

#[tokio::test]
async fn nested_structs_close_inside_out() {
    let log = log();
    let inner = Inner {
        leaf: leaf(&log, "leaf"),
        log: Arc::clone(&log),
    }
    .start();
    let outer = Outer {
        inner,
        after_inner: leaf(&log, "after_inner"),
        log: Arc::clone(&log),
    }
    .start();
    within(outer.process().close()).await.unwrap();
    assert_eq!(events(&log), ["leaf", "inner", "after_inner", "outer"]);
    assert!(outer.inner.process().is_closed());
}

#[tokio::test]
async fn closing_a_child_alone_does_not_close_the_struct() {
    let log = log();
    let inner = Inner {
        leaf: leaf(&log, "leaf"),
        log: Arc::clone(&log),
    }
    .start();
    let outer = Outer {
        inner: inner.clone(),
        after_inner: leaf(&log, "after_inner"),
        log: Arc::clone(&log),
    }
    .start();
    within(inner.process().close()).await.unwrap();
    assert_eq!(events(&log), ["leaf", "inner"]);
    assert!(!outer.process().is_closing());
    within(outer.process().close()).await.unwrap();
    assert_eq!(events(&log), ["leaf", "inner", "after_inner", "outer"]);
}

#[process]
struct Ordered {
    #[child]
    #[wait_for(first)]
    second: Process,
    #[child]
    first: Process,
}

/// A sibling whose link was refused (here: the background process, which
/// never closes) never holds the field ordered after it open: the struct's
/// close returns, and its error names the refused field and why. (It used
/// to wait for that sibling for ever.)
#[tokio::test]
async fn a_refused_sibling_does_not_hold_the_field_ordered_after_it() {
    let log = log();
    let second = leaf(&log, "second");
    let ordered = Ordered {
        second: second.clone(),
        first: Process::background(),
    }
    .start();
    let err = within(ordered.process().close()).await.unwrap_err();
    assert_eq!(err.kind(), goprocess::ErrorKind::NeverCloses, "{err}");
    assert!(err.to_string().contains("first"), "{err}");
    assert!(second.is_closed());
    assert_eq!(events(&log), ["second"]);
}

/// The struct's order (`second` after `first`) combined with an existing
/// `first.wait_for(&second)` is a waiting cycle: refused at start, with a
/// `Cycle` error naming the field, instead of a close that never returns.
#[tokio::test]
async fn a_sibling_order_that_closes_a_waiting_cycle_is_refused() {
    let log = log();
    let (first, second) = (leaf(&log, "first"), leaf(&log, "second"));
    first.wait_for(&second).unwrap();
    let ordered = Ordered {
        second: second.clone(),
        first: first.clone(),
    }
    .start();
    let err = within(ordered.process().close()).await.unwrap_err();
    assert_eq!(err.kind(), goprocess::ErrorKind::Cycle, "{err}");
    assert!(err.to_string().contains("second"), "{err}");
    assert!(first.is_closed() && second.is_closed());
}

/// The same cycle closed after the struct started: the later relation is
/// refused, so the struct still closes in its order.
#[tokio::test]
async fn a_relation_that_would_close_a_cycle_with_a_sibling_order_is_refused() {
    let log = log();
    let (first, second) = (leaf(&log, "first"), leaf(&log, "second"));
    let ordered = Ordered {
        second: second.clone(),
        first: first.clone(),
    }
    .start();
    let err = first.wait_for(&second).unwrap_err();
    assert_eq!(err.kind(), goprocess::ErrorKind::Cycle, "{err}");
    within(ordered.process().close()).await.unwrap();
    assert_eq!(events(&log), ["first", "second"]);
}

#[process]
struct Backwards {
    #[child]
    #[wait_for(db)]
    cache: Process,
    #[child]
    #[wait_for(http)]
    db: Process,
    #[child]
    http: Process,
}

/// Fields declared before the siblings they wait for are linked after
/// them, so a chain holds whatever the declaration order.
#[tokio::test]
async fn a_chain_declared_backwards_still_closes_in_order() {
    let log = log();
    let backwards = Backwards {
        cache: leaf(&log, "cache"),
        db: leaf(&log, "db"),
        http: leaf(&log, "http"),
    }
    .start();
    within(backwards.process().close()).await.unwrap();
    assert_eq!(events(&log), ["http", "db", "cache"]);
}

#[process]
struct AfterPool {
    #[child]
    workers: Vec<Process>,
    #[child]
    #[wait_for(workers)]
    db: Process,
}

#[process]
struct PoolAfter {
    #[child]
    db: Process,
    #[child]
    #[wait_for(db)]
    workers: Vec<Process>,
}

#[process]
struct Unordered {
    #[child]
    workers: Vec<Process>,
    #[child]
    db: Process,
}

/// The fastest of three starts of a struct built by `make`.
fn fastest_start<S: Start>(make: impl Fn() -> S) -> Duration {
    (0..3)
        .map(|_| {
            let value = make();
            let started = std::time::Instant::now();
            let handle = value.start();
            let elapsed = started.elapsed();
            drop(handle);
            elapsed
        })
        .min()
        .expect("three runs")
}

/// Ordering a field after a `Vec` of n children (or n children after one
/// field) links in time linear in n: starting such a struct costs a small
/// multiple of starting the same fields without the order (it was
/// quadratic: 10,000 workers took seconds).
#[test]
fn ordering_after_a_vec_of_children_starts_in_linear_time() {
    const N: usize = 20_000;
    let workers = || (0..N).map(|_| Process::new()).collect::<Vec<_>>();
    let unordered = fastest_start(|| Unordered {
        workers: workers(),
        db: Process::new(),
    });
    let after_pool = fastest_start(|| AfterPool {
        workers: workers(),
        db: Process::new(),
    });
    let pool_after = fastest_start(|| PoolAfter {
        workers: workers(),
        db: Process::new(),
    });
    for (name, ordered) in [
        ("db after the pool", after_pool),
        ("the pool after db", pool_after),
    ] {
        assert!(
            ordered < unordered * 10,
            "{name}: {ordered:?} to start, against {unordered:?} without the order"
        );
    }
}
