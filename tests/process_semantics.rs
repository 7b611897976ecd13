//! Conformance with the semantics of Go's goprocess v0.1.4: states, the
//! three edges, the close steps, CloseAfterChildren, spawning,
//! constructors. Orders are asserted exactly where the semantics define
//! them, and as set membership where they do not.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Log, within};
use goprocess::{ErrorKind, Process};
use tokio::sync::{Barrier, oneshot};

// ---- the three states -------------------------------------------------

/// A `go` child with nothing else to wait for goes from Running to Closed
/// in one step: its `closing()` and `closed()` waiters, registered while
/// it runs, from this thread and from another worker, are all woken, and
/// it reads Closed (and closing) from then on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_of_a_child_that_closes_at_once_are_woken() {
    for _ in 0..200 {
        let parent = Process::new();
        let (go, gate) = oneshot::channel::<()>();
        let child = parent.go(|_| async move {
            let _ = gate.await;
        });
        let closing: Vec<_> = (0..2).map(|_| tokio::spawn(child.closing())).collect();
        let closed: Vec<_> = (0..2).map(|_| tokio::spawn(child.closed())).collect();
        let here = child.closing();
        tokio::task::yield_now().await;
        go.send(()).unwrap();
        within(here).await;
        for w in closing.into_iter().chain(closed) {
            within(w).await.unwrap();
        }
        assert!(child.is_closing() && child.is_closed());
        within(parent.close()).await.unwrap();
    }
}

/// Several waiters of each phase on one process, one of them dropped
/// before the close: each is woken at its own phase, none too early, and
/// the dropped one leaves nothing behind.
#[tokio::test]
async fn many_waiters_of_both_phases_wake_at_their_phase() {
    let p = Process::new();
    let gate = Process::new(); // keeps `p` Closing until it closes
    p.wait_for(&gate).unwrap();
    let closing: Vec<_> = (0..4).map(|_| tokio::spawn(p.closing())).collect();
    let closed: Vec<_> = (0..4).map(|_| tokio::spawn(p.closed())).collect();
    let dropped = tokio::spawn(p.closed());
    // Let every waiter register, then forget one of them.
    for _ in 0..3 {
        tokio::task::yield_now().await;
    }
    dropped.abort();
    assert!(within(dropped).await.unwrap_err().is_cancelled());

    let closer = tokio::spawn(p.close());
    for w in closing {
        within(w).await.unwrap();
    }
    assert!(p.is_closing() && !p.is_closed());
    assert!(closed.iter().all(|w| !w.is_finished()), "woken too early");

    within(gate.close()).await.unwrap();
    for w in closed {
        within(w).await.unwrap();
    }
    within(closer).await.unwrap().unwrap();
    within(p.closed()).await; // a late waiter resolves at once
}

#[tokio::test]
async fn closing_fires_at_once_closed_after_teardown() {
    let log = Log::new();
    let (release_tx, release_rx) = oneshot::channel::<()>();
    let l = log.clone();
    let p = Process::with_async_teardown(move || async move {
        l.push("teardown started");
        release_rx.await.unwrap();
        l.push("teardown finished");
        Ok(())
    });
    assert!(!p.is_closing() && !p.is_closed());

    let closer = tokio::spawn(p.close());
    within(p.closing()).await;
    log.push("closing observed");
    assert!(p.is_closing());
    assert!(!p.is_closed(), "Closed must wait for the teardown");

    release_tx.send(()).unwrap();
    within(p.closed()).await;
    log.push("closed observed");
    assert!(p.is_closed());
    within(closer).await.unwrap().unwrap();

    let events = log.events();
    assert_eq!(events.last().unwrap(), "closed observed");
    assert!(log.pos("teardown finished") < log.pos("closed observed"));
    assert!(log.pos("closing observed") < log.pos("teardown finished"));
}

#[tokio::test]
async fn close_is_idempotent_and_every_caller_gets_the_same_error() {
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let p = Process::with_teardown(move || {
        r.fetch_add(1, Ordering::SeqCst);
        Err("flush failed".into())
    });
    let first = within(p.close()).await.unwrap_err();
    let second = within(p.close()).await.unwrap_err();
    let third = within(p.err()).await.unwrap_err();
    assert_eq!(runs.load(Ordering::SeqCst), 1, "teardown exactly once");
    assert_eq!(first.kind(), ErrorKind::Teardown);
    assert_eq!(first.to_string(), second.to_string());
    assert_eq!(first.to_string(), third.to_string());
    assert!(first.to_string().contains("flush failed"));
}

#[tokio::test]
async fn close_before_first_poll_does_nothing() {
    let p = Process::new();
    let fut = p.close();
    assert!(!p.is_closing(), "futures are lazy");
    drop(fut);
    assert!(!p.is_closing());
}

// ---- edges ---------------------------------------------------------------

#[tokio::test]
async fn add_child_closes_child_and_waits_for_it_leaves_first() {
    // Go's documentation example: p1 -> p2 -> p3, all closed at once.
    let log = Log::new();
    let p1 = Process::with_teardown(log.teardown("closing 1"));
    let p2 = Process::with_teardown(log.teardown("closing 2"));
    let p3 = Process::with_teardown(log.teardown("closing 3"));
    p1.add_child(&p2).unwrap();
    p2.add_child(&p3).unwrap();

    let (a, b, c) = (
        tokio::spawn(p1.close()),
        tokio::spawn(p2.close()),
        tokio::spawn(p3.close()),
    );
    within(a).await.unwrap().unwrap();
    within(b).await.unwrap().unwrap();
    within(c).await.unwrap().unwrap();
    assert_eq!(log.events(), ["closing 3", "closing 2", "closing 1"]);
}

#[tokio::test]
async fn closing_the_root_tears_down_a_tree_leaves_first() {
    let log = Log::new();
    let root = Process::with_teardown(log.teardown("root"));
    let a = Process::with_teardown(log.teardown("a"));
    let b = Process::with_teardown(log.teardown("b"));
    let a1 = Process::with_teardown(log.teardown("a1"));
    let a2 = Process::with_teardown(log.teardown("a2"));
    root.add_child(&a).unwrap();
    root.add_child(&b).unwrap();
    a.add_child(&a1).unwrap();
    a.add_child(&a2).unwrap();

    within(root.close()).await.unwrap();
    // Each process after all its descendants; siblings in any order.
    assert!(log.pos("a1") < log.pos("a") && log.pos("a2") < log.pos("a"));
    assert!(log.pos("a") < log.pos("root") && log.pos("b") < log.pos("root"));
    assert_eq!(log.events().len(), 5);
    assert_eq!(log.events().last().unwrap(), "root");
}

#[tokio::test]
async fn siblings_close_concurrently() {
    // Each child's teardown waits for the other's to start: sequential
    // closing would hang (and the timeout would fail the test).
    let barrier = Arc::new(Barrier::new(2));
    let parent = Process::new();
    for _ in 0..2 {
        let b = barrier.clone();
        let child = Process::with_async_teardown(move || async move {
            b.wait().await;
            Ok(())
        });
        parent.add_child(&child).unwrap();
    }
    within(parent.close()).await.unwrap();
}

#[tokio::test]
async fn wait_for_orders_teardowns_without_closing_the_target() {
    let log = Log::new();
    let p = Process::with_teardown(log.teardown("p"));
    let q = Process::with_teardown(log.teardown("q"));
    p.wait_for(&q).unwrap();

    let closing_p = tokio::spawn(p.close());
    within(p.closing()).await;
    tokio::task::yield_now().await;
    assert!(!q.is_closing(), "wait_for never closes its target");
    assert!(!p.is_closed(), "p waits for q");

    within(q.close()).await.unwrap();
    within(closing_p).await.unwrap().unwrap();
    assert_eq!(log.events(), ["q", "p"]);
}

#[tokio::test]
async fn add_child_no_wait_closes_child_but_does_not_wait() {
    let (release_tx, release_rx) = oneshot::channel::<()>();
    let parent = Process::new();
    let child = Process::with_async_teardown(move || async move {
        release_rx.await.unwrap();
        Ok(())
    });
    parent.add_child_no_wait(&child);
    within(parent.close()).await.unwrap();
    assert!(child.is_closing(), "closed with the parent");
    assert!(!child.is_closed(), "but the parent did not wait");
    release_tx.send(()).unwrap();
    within(child.closed()).await;
    assert_eq!(
        common::edge_counts(&parent),
        (0, 0),
        "the child left the edge set"
    );
}

#[tokio::test]
async fn a_child_with_two_parents_closes_with_either() {
    let (a, b) = (Process::new(), Process::new());
    let shared = Process::new();
    a.add_child(&shared).unwrap();
    b.add_child(&shared).unwrap();
    assert_eq!(common::edge_counts(&shared), (0, 2));

    within(a.close()).await.unwrap();
    assert!(shared.is_closed());
    assert!(!b.is_closing(), "the other parent only sees it close");
    assert_eq!(common::edge_counts(&b), (0, 0), "and drops its edge");
    within(b.close()).await.unwrap();
}

// ---- relations on a closing parent ----------------------------------------

/// A parent held in its Closing step by a child whose teardown waits.
fn held_parent() -> (Process, oneshot::Sender<()>) {
    let (tx, rx) = oneshot::channel::<()>();
    let parent = Process::new();
    let holder = Process::with_async_teardown(move || async move {
        let _ = rx.await;
        Ok(())
    });
    parent.add_child(&holder).unwrap();
    (parent, tx)
}

#[tokio::test]
async fn add_child_while_closing_closes_the_child_and_waits_for_it() {
    let log = Log::new();
    let (parent, release) = held_parent();
    parent.set_teardown(log.teardown("parent")).unwrap();
    let closing = tokio::spawn(parent.close());
    within(parent.closing()).await;

    let (late_tx, late_rx) = oneshot::channel::<()>();
    let l = log.clone();
    let late = Process::with_async_teardown(move || async move {
        late_rx.await.unwrap();
        l.push("late");
        Ok(())
    });
    parent.add_child(&late).unwrap();
    assert!(late.is_closing(), "closing by the time add_child returns");

    release.send(()).unwrap();
    tokio::task::yield_now().await;
    assert!(
        !parent.is_closed(),
        "the parent still waits for the late child"
    );
    late_tx.send(()).unwrap();
    within(closing).await.unwrap().unwrap();
    assert_eq!(log.events(), ["late", "parent"]);
}

#[tokio::test]
async fn wait_for_added_while_closing_is_honoured_and_does_not_close() {
    let log = Log::new();
    let (parent, release) = held_parent();
    parent.set_teardown(log.teardown("parent")).unwrap();
    let closing = tokio::spawn(parent.close());
    within(parent.closing()).await;

    let q = Process::with_teardown(log.teardown("q"));
    parent.wait_for(&q).unwrap();
    release.send(()).unwrap();
    tokio::task::yield_now().await;
    assert!(!q.is_closing());
    assert!(!parent.is_closed());
    within(q.close()).await.unwrap();
    within(closing).await.unwrap().unwrap();
    assert_eq!(log.events(), ["q", "parent"]);
}

#[tokio::test]
async fn add_child_no_wait_while_closing_closes_the_child() {
    let (parent, release) = held_parent();
    let closing = tokio::spawn(parent.close());
    within(parent.closing()).await;
    let c = Process::new();
    parent.add_child_no_wait(&c);
    assert!(c.is_closing());
    release.send(()).unwrap();
    within(closing).await.unwrap().unwrap();
}

// ---- CloseAfterChildren -----------------------------------------------------

#[tokio::test]
async fn close_after_children_waits_for_children_to_close_by_themselves() {
    let log = Log::new();
    let p = Process::with_teardown(log.teardown("p"));
    let c = Process::with_teardown(log.teardown("c"));
    p.add_child(&c).unwrap();

    let waiter = tokio::spawn(p.close_after_children());
    tokio::task::yield_now().await;
    assert!(
        !c.is_closing(),
        "close_after_children does not close children"
    );
    assert!(
        !p.is_closing(),
        "p stays Running until its children are done"
    );

    // A target added meanwhile is waited for too.
    let late = Process::with_teardown(log.teardown("late"));
    p.add_child(&late).unwrap();
    within(c.close()).await.unwrap();
    tokio::task::yield_now().await;
    assert!(!p.is_closing());
    within(late.close()).await.unwrap();
    within(waiter).await.unwrap().unwrap();
    assert_eq!(log.events(), ["c", "late", "p"]);
}

#[tokio::test]
async fn close_after_children_force_closes_no_wait_children() {
    let p = Process::new();
    let nowait = Process::new();
    p.add_child_no_wait(&nowait);
    within(p.close_after_children()).await.unwrap();
    assert!(nowait.is_closed());
}

#[tokio::test]
async fn close_after_children_on_closed_returns_the_stored_error() {
    let p = Process::with_teardown(|| Err("boom".into()));
    let _ = within(p.close()).await;
    let err = within(p.close_after_children()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Teardown);
}

#[tokio::test]
async fn close_after_children_returns_when_someone_else_closes() {
    let p = Process::new();
    let c = Process::new();
    p.add_child(&c).unwrap();
    let waiter = tokio::spawn(p.close_after_children());
    tokio::task::yield_now().await;
    within(p.close()).await.unwrap();
    within(waiter).await.unwrap().unwrap();
    assert!(c.is_closed());
}

// ---- spawning -----------------------------------------------------------------

#[tokio::test]
async fn go_child_closes_after_its_children_when_f_returns() {
    let log = Log::new();
    let parent = Process::new();
    let (grand_tx, grand_rx) = oneshot::channel::<()>();
    let l = log.clone();
    let child = parent.go(move |me| async move {
        let l2 = l.clone();
        me.go(move |_| async move {
            grand_rx.await.unwrap();
            l2.push("grandchild returned");
        });
        l.push("f returned");
    });
    child.set_teardown(log.teardown("child teardown")).unwrap();

    // f returns, but the child waits for its own child to finish naturally.
    tokio::task::yield_now().await;
    tokio::task::yield_now().await;
    assert!(!child.is_closing());
    assert!(!parent.is_closing(), "f returning never closes the parent");
    grand_tx.send(()).unwrap();
    within(child.closed()).await;
    assert_eq!(
        log.events(),
        ["f returned", "grandchild returned", "child teardown"]
    );
    assert!(!parent.is_closing());
    assert_eq!(common::edge_counts(&parent), (0, 0));
    within(parent.close()).await.unwrap();
}

#[tokio::test]
async fn outside_close_of_a_go_child_waits_for_f() {
    let log = Log::new();
    let p = Process::new();
    let l = log.clone();
    let child = p.go(move |me| async move {
        me.closing().await;
        tokio::task::yield_now().await;
        l.push("f returned");
    });
    within(child.close()).await.unwrap();
    log.push("close returned");
    assert_eq!(log.events(), ["f returned", "close returned"]);
    assert!(!p.is_closing());
}

#[tokio::test]
async fn go_on_a_closing_parent_still_runs_f_and_is_waited_for() {
    let (parent, release) = held_parent();
    let closing = tokio::spawn(parent.close());
    within(parent.closing()).await;

    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let (go_tx, go_rx) = oneshot::channel::<()>();
    let child = parent.go(move |me| async move {
        assert!(me.is_closing(), "f sees Closing already fired");
        go_rx.await.unwrap();
        r.fetch_add(1, Ordering::SeqCst);
    });
    release.send(()).unwrap();
    tokio::task::yield_now().await;
    assert!(!parent.is_closed(), "the parent waits for f");
    go_tx.send(()).unwrap();
    within(closing).await.unwrap().unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert!(child.is_closed());
}

#[tokio::test]
async fn free_go_closes_its_root_when_f_returns_forcing_children() {
    let log = Log::new();
    let l = log.clone();
    let root = goprocess::go(move |me| async move {
        let l2 = l.clone();
        me.go(move |c| async move {
            c.closing().await;
            l2.push("child saw closing");
        });
        l.push("f returned");
    });
    within(root.closed()).await;
    within(root.err()).await.unwrap();
    assert_eq!(log.events(), ["f returned", "child saw closing"]);
}

#[tokio::test]
async fn outside_close_of_free_go_returns_after_f() {
    let log = Log::new();
    let l = log.clone();
    let p = goprocess::go(move |me| async move {
        me.closing().await;
        tokio::task::yield_now().await;
        l.push("f returned");
    });
    within(p.close()).await.unwrap();
    log.push("closed");
    assert_eq!(log.events(), ["f returned", "closed"]);
}

#[tokio::test]
async fn go_child_returns_the_process_f_runs_in() {
    let parent = Process::new();
    let (tx, rx) = oneshot::channel();
    let child = goprocess::go_child(&parent, move |me| async move {
        tx.send(me).unwrap();
    });
    let seen = within(rx).await.unwrap();
    assert_eq!(seen, child, "the returned process is the one f runs in");
    within(child.closed()).await; // and it closes by itself
    assert!(!parent.is_closing());
    within(parent.close()).await.unwrap();
}

// ---- constructors and teardown ------------------------------------------------

#[tokio::test]
async fn with_parent_makes_a_child() {
    let log = Log::new();
    let parent = Process::with_teardown(log.teardown("parent"));
    let child = Process::with_parent(&parent);
    child.set_teardown(log.teardown("child")).unwrap();
    within(parent.close()).await.unwrap();
    assert_eq!(log.events(), ["child", "parent"]);
}

#[tokio::test]
async fn set_teardown_twice_is_an_error_and_keeps_the_first() {
    let log = Log::new();
    let p = Process::new();
    p.set_teardown(log.teardown("first")).unwrap();
    let err = p.set_teardown(log.teardown("second")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TeardownAlreadySet);
    within(p.close()).await.unwrap();
    assert_eq!(log.events(), ["first"]);
}

#[tokio::test]
async fn set_teardown_after_closed_runs_it_at_once() {
    let log = Log::new();
    let p = Process::new();
    within(p.close()).await.unwrap();
    let err = p.set_teardown(log.teardown("late")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed);
    assert_eq!(log.events(), ["late"]);
}

#[tokio::test]
async fn set_async_teardown_runs_before_closed() {
    let log = Log::new();
    let p = Process::new();
    let l = log.clone();
    p.set_async_teardown(move || async move {
        tokio::task::yield_now().await;
        l.push("async teardown");
        Ok(())
    })
    .unwrap();
    within(p.close()).await.unwrap();
    assert_eq!(log.events(), ["async teardown"]);
}

#[tokio::test]
async fn err_waits_for_closed_without_closing() {
    let p = Process::with_teardown(|| Err("nope".into()));
    let err = tokio::spawn(p.err());
    tokio::task::yield_now().await;
    assert!(!p.is_closing(), "err() does not cause a close");
    let _ = within(p.close()).await;
    assert_eq!(
        within(err).await.unwrap().unwrap_err().kind(),
        ErrorKind::Teardown
    );
}

#[tokio::test]
async fn background_never_closes_and_relations_on_it_are_no_ops() {
    let bg = Process::background();
    assert_eq!(bg, Process::background(), "one shared process");
    let c = Process::new();
    bg.add_child(&c).unwrap();
    bg.wait_for(&c).unwrap();
    assert_eq!(common::edge_counts(&bg), (0, 0));
    Process::new().add_child_no_wait(&bg);
    assert_eq!(
        within(bg.close()).await.unwrap_err().kind(),
        ErrorKind::NeverCloses
    );
    assert_eq!(
        within(bg.err()).await.unwrap_err().kind(),
        ErrorKind::NeverCloses
    );
    assert!(!bg.is_closing());
    let never = tokio::time::timeout(std::time::Duration::from_millis(20), bg.closing()).await;
    assert!(
        never.is_err(),
        "closing() never resolves for the background process"
    );
    let child = Process::with_parent(&bg);
    assert_eq!(
        common::edge_counts(&child),
        (0, 0),
        "a child of background is a root"
    );
}

/// The close cause names the parent that closed a process, among several,
/// and still names it once the process is Closed.
#[tokio::test]
async fn the_close_cause_names_which_parent_closed_a_shared_child() {
    use goprocess::CloseCause;
    let (a, b) = (Process::new().named("a"), Process::new().named("b"));
    let shared = Process::new().named("shared");
    a.add_child(&shared).unwrap();
    b.add_child(&shared).unwrap();
    within(b.close()).await.unwrap();
    match shared.close_cause() {
        Some(CloseCause::Parent(p)) => assert_eq!((p.id(), &*p.name()), (b.id(), "b")),
        other => panic!("{other:?}"),
    }
    let only = Process::with_parent(&a).named("only");
    within(a.close()).await.unwrap();
    assert_eq!(
        only.close_cause().unwrap().to_string(),
        "closed by its parent `a`"
    );
}

/// A Closed process has no edge left: a no-wait child still closing when
/// its parent closed leaves the parent's edge set (and the parent leaves
/// its back-links), so no view draws it under the closed parent.
#[tokio::test]
async fn a_closed_process_keeps_no_edge_to_a_no_wait_child_still_closing() {
    let app = Process::new().named("app");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let metrics = goprocess::go(move |me| async move {
        me.closing().await;
        let _ = rx.await; // still draining after the app closed
    })
    .named("metrics");
    app.add_child_no_wait(&metrics);
    let other = Process::new().named("other");
    other.add_child_no_wait(&metrics);
    within(app.close()).await.unwrap();
    assert!(metrics.is_closing() && !metrics.is_closed());
    assert_eq!(common::edge_counts(&app), (0, 0));
    let snapshot = metrics.snapshot();
    let info = snapshot.get(metrics.id()).unwrap();
    assert!(
        !info.incoming().contains(&app.id()),
        "the closed app is still a parent: {:?}",
        info.incoming()
    );
    assert!(!app.snapshot().to_string().contains("metrics"));
    tx.send(()).unwrap();
    within(metrics.closed()).await;
    within(other.close()).await.unwrap();
    assert_eq!(common::edge_counts(&other), (0, 0));
}
