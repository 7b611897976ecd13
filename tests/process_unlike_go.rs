//! The rules where goprocess deliberately differs from Go
//! (docs/migrating-from-go.md, "unlike Go"): no panics on lifecycle races, cycle refusal, background
//! refusal, flat memory, `go_child`'s return value, panic capture,
//! re-entrant teardowns, cancel-safe close, children's errors kept.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::Context;

use common::{Log, within};
use goprocess::{ErrorKind, Process};
use tokio::sync::oneshot;

// ---- late relations: errors, not panics ------------------------------------

#[tokio::test]
async fn relations_on_a_closed_process_are_errors_with_kinds() {
    let p = Process::new().named("done");
    within(p.close()).await.unwrap();
    let q = Process::new();

    let err = p.add_child(&q).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed);
    assert!(
        err.to_string().contains("`done`"),
        "names the process: {err}"
    );
    assert_eq!(p.wait_for(&q).unwrap_err().kind(), ErrorKind::Closed);
    assert!(!q.is_closing(), "a refused add_child leaves q alone");

    // Go semantics: no-wait on a closed parent closes the child.
    p.add_child_no_wait(&q);
    assert!(q.is_closed());
    assert_eq!(common::edge_counts(&p), (0, 0));
}

#[tokio::test]
async fn go_on_a_closed_process_never_runs_f() {
    let p = Process::new();
    within(p.close()).await.unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let child = p.go(move |_| async move { r.store(true, Ordering::SeqCst) });
    assert!(child.is_closed(), "returned already closed");
    let err = within(child.err()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ParentClosed);
    tokio::task::yield_now().await;
    assert!(!ran.load(Ordering::SeqCst));
}

#[tokio::test]
async fn with_parent_of_a_closed_process_is_born_closed() {
    let p = Process::new();
    within(p.close()).await.unwrap();
    let c = Process::with_parent(&p);
    assert!(c.is_closed());
    assert_eq!(
        within(c.err()).await.unwrap_err().kind(),
        ErrorKind::ParentClosed
    );
}

// ---- cycles ------------------------------------------------------------------

#[tokio::test]
async fn waiting_cycles_are_refused() {
    let (a, b, c) = (
        Process::new().named("a"),
        Process::new().named("b"),
        Process::new().named("c"),
    );
    a.wait_for(&b).unwrap();
    b.add_child(&c).unwrap();

    let direct = b.wait_for(&a).unwrap_err();
    assert_eq!(direct.kind(), ErrorKind::Cycle);
    let indirect = c.add_child(&a).unwrap_err();
    assert_eq!(indirect.kind(), ErrorKind::Cycle);
    assert!(
        indirect.to_string().contains("`a` already waits"),
        "{indirect}"
    );
    assert_eq!(a.wait_for(&a).unwrap_err().kind(), ErrorKind::Cycle);

    // A child waiting for its own ancestor.
    let parent = Process::new();
    let child = Process::with_parent(&parent);
    assert_eq!(
        child.wait_for(&parent).unwrap_err().kind(),
        ErrorKind::Cycle
    );

    // No-wait edges never wait, so they make no cycle; everything still closes.
    // Closing b closes c, which closes a, which was waiting for b.
    c.add_child_no_wait(&a);
    within(b.close()).await.unwrap();
    within(a.closed()).await;
    assert!(c.is_closed());
    within(parent.close()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_relations_cannot_close_a_cycle_together() {
    for _ in 0..200 {
        let (a, b) = (Process::new(), Process::new());
        let (a2, b2) = (a.clone(), b.clone());
        let t1 = tokio::spawn(async move { a2.wait_for(&b2).is_ok() });
        let t2 = tokio::spawn(async move { b.wait_for(&a).is_ok() });
        let (r1, r2) = (t1.await.unwrap(), t2.await.unwrap());
        assert!(!(r1 && r2), "both halves of a cycle were accepted");
        assert!(r1 || r2, "one of them must be accepted");
    }
}

// ---- background --------------------------------------------------------------

#[tokio::test]
async fn background_as_child_or_target_is_refused() {
    let p = Process::new();
    let bg = Process::background();
    assert_eq!(p.add_child(&bg).unwrap_err().kind(), ErrorKind::NeverCloses);
    assert_eq!(p.wait_for(&bg).unwrap_err().kind(), ErrorKind::NeverCloses);
    p.add_child_no_wait(&bg); // a no-op
    assert_eq!(common::edge_counts(&p), (0, 0));
    within(p.close()).await.unwrap(); // and close does not hang
    assert_eq!(
        bg.set_teardown(|| Ok(())).unwrap_err().kind(),
        ErrorKind::NeverCloses
    );
}

// ---- flat memory ---------------------------------------------------------------

#[tokio::test]
async fn links_are_removed_when_children_close() {
    let parent = Process::new();
    let children: Vec<Process> = (0..100).map(|_| Process::with_parent(&parent)).collect();
    let waited: Vec<Process> = (0..100).map(|_| Process::new()).collect();
    for w in &waited {
        parent.wait_for(w).unwrap();
    }
    assert_eq!(common::edge_counts(&parent), (200, 0));
    for c in children.iter().chain(&waited) {
        within(c.close()).await.unwrap();
        assert_eq!(
            common::edge_counts(c),
            (0, 0),
            "a closed process keeps no back-link"
        );
    }
    assert_eq!(common::edge_counts(&parent), (0, 0));
}

#[tokio::test]
async fn finished_go_children_leave_the_parent_at_once() {
    let parent = Process::new();
    for _ in 0..1000 {
        let c = parent.go(|_| async {});
        within(c.closed()).await;
    }
    assert_eq!(common::edge_counts(&parent), (0, 0));
}

// ---- go_child ---------------------------------------------------------------------

#[tokio::test]
async fn go_child_process_closes_by_itself() {
    let parent = Process::new();
    let child = goprocess::go_child(&parent, |_| async {});
    within(child.closed()).await;
    assert_eq!(common::edge_counts(&parent), (0, 0));
}

// ---- panics ------------------------------------------------------------------------

fn crash(message: &'static str) {
    panic!("{message}")
}

#[tokio::test]
async fn a_panicking_process_function_closes_its_process_with_panic() {
    let parent = Process::new().named("server");
    let sibling = parent.go(|me| async move { me.closing().await });
    let crashed = parent
        .go(|_| async { crash("connection handler crashed") })
        .named("conn");
    let err = within(crashed.err()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Panic);
    assert_eq!(err.panic_message(), Some("connection handler crashed"));
    assert!(!parent.is_closing(), "nothing else is torn down by a panic");
    assert!(!sibling.is_closing());

    let perr = within(parent.close()).await.unwrap_err();
    assert_eq!(perr.kind(), ErrorKind::Children);
    assert_eq!(perr.children().len(), 1);
    assert_eq!(perr.children()[0].name(), "conn");
    assert_eq!(perr.children()[0].error().kind(), ErrorKind::Panic);
}

#[tokio::test]
async fn panicking_teardowns_are_caught_sync_and_async() {
    let sync = Process::with_teardown(|| panic!("sync teardown"));
    let err = within(sync.close()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Panic);
    assert_eq!(err.panic_message(), Some("sync teardown"));

    let asyn = Process::with_async_teardown(|| async { panic!("async teardown") });
    let err = within(asyn.close()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Panic);
    assert_eq!(err.panic_message(), Some("async teardown"));

    // A parent of a panicking child still closes, and reports it.
    let parent = Process::new();
    let child = Process::with_teardown(|| panic!("child"));
    parent.add_child(&child).unwrap();
    let err = within(parent.close()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Children);
    assert_eq!(err.children()[0].error().panic_message(), Some("child"));
}

// ---- re-entrant teardowns ----------------------------------------------------------------

#[tokio::test]
async fn a_sync_teardown_may_use_its_own_process() {
    let log = Log::new();
    let p = Process::new();
    let (me, l) = (p.clone(), log.clone());
    p.set_teardown(move || {
        assert!(me.is_closing());
        assert!(!me.is_closed());
        let late = Process::new();
        me.add_child(&late).unwrap();
        assert!(late.is_closing(), "answered as for a closing process");
        me.wait_for(&late).unwrap();
        assert_eq!(
            me.close_blocking().map_err(|e| e.kind()),
            Ok(()),
            "close of self returns at once"
        );
        l.push("teardown done");
        Ok(())
    })
    .unwrap();
    within(p.close()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(log.events(), ["teardown done"]);
}

#[tokio::test]
async fn an_async_teardown_may_await_its_own_close_and_its_observers_do_not_lie() {
    let p = Process::new();
    let me = p.clone();
    p.set_async_teardown(move || async move {
        me.close().await?;
        me.close_after_children().await?;
        // The observers never answer before Closed: here, never while the
        // teardown runs (as in Go); bounded, they time out.
        let short = std::time::Duration::from_millis(20);
        assert!(tokio::time::timeout(short, me.err()).await.is_err());
        assert!(tokio::time::timeout(short, me.closed()).await.is_err());
        let late = Process::new();
        me.add_child(&late)?;
        Ok(())
    })
    .unwrap();
    within(p.close()).await.unwrap();
}

#[tokio::test]
async fn a_wait_added_by_the_teardown_is_honoured_before_closed() {
    let p = Process::new();
    let (tx, rx) = oneshot::channel::<()>();
    let late = Process::with_async_teardown(move || async move {
        rx.await.unwrap();
        Ok(())
    });
    let (me, l2) = (p.clone(), late.clone());
    p.set_teardown(move || {
        me.add_child(&l2).unwrap();
        Ok(())
    })
    .unwrap();
    let closing = tokio::spawn(p.close());
    within(late.closing()).await;
    tokio::task::yield_now().await;
    assert!(
        !p.is_closed(),
        "Closed waits for relations added by the teardown"
    );
    tx.send(()).unwrap();
    within(closing).await.unwrap().unwrap();
    assert!(late.is_closed());
}

// ---- cancel safety --------------------------------------------------------------------------

#[tokio::test]
async fn dropping_close_after_its_first_poll_does_not_abort_the_shutdown() {
    let runs = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = oneshot::channel::<()>();
    let r = runs.clone();
    let p = Process::with_async_teardown(move || async move {
        rx.await.unwrap();
        r.fetch_add(1, Ordering::SeqCst);
        Ok(())
    });
    {
        let mut close = Box::pin(p.close());
        let waker = std::task::Waker::noop();
        assert!(
            close
                .as_mut()
                .poll(&mut Context::from_waker(waker))
                .is_pending()
        );
    } // dropped mid-close
    assert!(p.is_closing());
    tx.send(()).unwrap();
    within(p.closed()).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1, "teardown ran exactly once");
    within(p.close()).await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn dropping_close_inside_select_still_closes() {
    let p = goprocess::go(|me| async move {
        me.closing().await;
        tokio::task::yield_now().await;
    });
    tokio::select! {
        biased;
        _ = p.close() => unreachable!("f yields once before returning"),
        _ = std::future::ready(()) => {}
    }
    within(p.closed()).await;
}

// ---- children's errors ------------------------------------------------------------------------

#[derive(Debug, PartialEq)]
struct Corrupt(u32);
impl std::fmt::Display for Corrupt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "corrupt page {}", self.0)
    }
}
impl std::error::Error for Corrupt {}

#[tokio::test]
async fn children_errors_are_reachable_from_the_parent() {
    let parent = Process::with_teardown(|| Err("parent flush".into())).named("app");
    let db = Process::with_teardown(|| Err(Corrupt(7).into())).named("db");
    let cache = Process::new().named("cache");
    let journal = Process::with_teardown(|| Err("journal".into())).named("journal");
    parent.add_child(&db).unwrap();
    parent.add_child(&cache).unwrap();
    db.add_child(&journal).unwrap();

    let err = within(parent.close()).await.unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Teardown,
        "the process's own error first"
    );
    assert_eq!(err.children().len(), 1);
    let db_err = err.children()[0].error();
    assert_eq!(err.children()[0].name(), "db");
    assert_eq!(db_err.children()[0].name(), "journal");
    assert_eq!(
        err.downcast_ref::<Corrupt>(),
        Some(&Corrupt(7)),
        "found in the subtree"
    );

    let mut paths = Vec::new();
    err.walk(|path, e| paths.push((path.join("/"), e.kind())));
    assert_eq!(
        paths,
        [
            (String::new(), ErrorKind::Teardown),
            ("db".to_string(), ErrorKind::Teardown),
            ("db/journal".to_string(), ErrorKind::Teardown),
        ]
    );
    let text = err.to_string();
    assert!(
        text.starts_with("process `app`: teardown failed: parent flush; 1 child failed"),
        "{text}"
    );
    assert!(text.contains("corrupt page 7"), "{text}");
}

#[tokio::test]
async fn a_long_lived_parent_keeps_a_bounded_list_of_failed_children() {
    let parent = Process::new();
    for i in 0..100 {
        let c = parent.go(move |_| async move { Err::<(), _>(format!("job {i}")) });
        within(c.closed()).await;
    }
    let err = within(parent.close()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Children);
    assert_eq!(err.children().len() + err.omitted_children(), 100);
    assert_eq!(err.children().len(), 64);
    assert!(err.to_string().ends_with("and 96 more"), "{err}");
}

#[tokio::test]
async fn a_function_error_and_a_teardown_error_are_both_kept() {
    let p = Process::new();
    let child = p.go(|me| async move {
        me.set_teardown(|| Err("teardown too".into())).unwrap();
        Err::<(), _>("function failed")
    });
    let err = within(child.err()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Function);
    assert_eq!(err.also().unwrap().kind(), ErrorKind::Teardown);
    within(p.close()).await.unwrap_err();
}

/// Adding a child that has already closed after failing is `Ok` (there is
/// nothing to wait for), and its failure is listed in the new parent's
/// error, as if it had closed under it: nothing is lost by linking late. A
/// wait target's failure stays its own, as when it closes later.
#[tokio::test]
async fn adding_a_child_that_already_failed_lists_its_failure() {
    let journal = Process::with_teardown(|| Err("disk full".into())).named("journal");
    assert!(journal.close().await.is_err());
    let app = Process::new().named("app");
    app.add_child(&journal).unwrap();
    let err = app.close().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Children);
    assert_eq!(err.children()[0].name(), "journal");
    assert_eq!(err.children()[0].error().kind(), ErrorKind::Teardown);

    let waiter = Process::new();
    waiter.wait_for(&journal).unwrap();
    assert!(waiter.close().await.is_ok());
}
