//! Fault injection: panics in process functions, in sync and async
//! teardowns, and in a child while its parent is closing. For each: no
//! hang, every teardown exactly once, every `closed()` resolves, and the
//! error says what happened (kind `Panic`, the message kept, the path of the
//! failed child).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Log, within};
use goprocess::{ErrorKind, Process};

/// Counts the runs of teardowns.
#[derive(Clone, Default)]
struct Runs(Arc<AtomicUsize>);
impl Runs {
    fn hit(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn a_panicking_process_function_fails_only_its_process() {
    common::quiet_injected_panics();
    let runs = Runs::default();
    let r = runs.clone();
    let parent = Process::with_teardown(move || {
        r.hit();
        Ok(())
    })
    .named("parent");
    let bad = parent
        .go(|_| async { panic!("injected: function") })
        .named("bad");
    let good = parent
        .go(|me| async move { me.closing().await })
        .named("good");

    within(bad.closed()).await;
    let bad_err = bad.err().await.unwrap_err();
    assert_eq!(bad_err.kind(), ErrorKind::Panic);
    assert_eq!(bad_err.panic_message(), Some("injected: function"));
    assert!(!parent.is_closing(), "nothing else is torn down by a panic");
    assert!(!good.is_closing());

    let err = within(parent.close()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Children, "{err}");
    assert_eq!(err.children().len(), 1);
    assert_eq!(err.children()[0].name(), "bad");
    assert_eq!(err.children()[0].error().kind(), ErrorKind::Panic);
    assert!(err.to_string().contains("injected: function"), "{err}");
    assert!(good.err().await.is_ok());
    assert_eq!(runs.get(), 1);
    assert_eq!(common::edge_counts(&parent), (0, 0));
}

#[tokio::test]
async fn a_closure_that_panics_before_returning_its_future_fails_its_process() {
    common::quiet_injected_panics();
    let parent = Process::new();
    #[allow(unreachable_code)]
    let bad = parent.go(|_| -> std::future::Ready<()> { panic!("injected: closure") });
    within(bad.closed()).await;
    let err = bad.err().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Panic);
    assert_eq!(err.panic_message(), Some("injected: closure"));
    assert!(!parent.is_closing(), "its parent goes on");
    within(parent.close()).await.unwrap_err();
    assert_eq!(common::edge_counts(&parent), (0, 0));
}

#[tokio::test]
async fn a_panicking_root_function_closes_its_children_instead_of_waiting() {
    common::quiet_injected_panics();
    let log = Log::new();
    let (tx, rx) = tokio::sync::oneshot::channel::<Process>();
    let l = log.clone();
    let root = goprocess::go(move |me| async move {
        let child = Process::with_parent(&me);
        child.set_teardown(l.teardown("child")).unwrap();
        tx.send(child).unwrap();
        panic!("injected: root")
    });
    let child = within(rx).await.unwrap();
    within(root.closed()).await;
    assert!(child.is_closed(), "force-closed after the panic");
    assert_eq!(log.events(), ["child"]);
    let err = root.err().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Panic);
    assert_eq!(err.panic_message(), Some("injected: root"));
}

#[tokio::test]
async fn a_panicking_sync_teardown_runs_once_and_is_reported() {
    common::quiet_injected_panics();
    let runs = Runs::default();
    let r = runs.clone();
    let p = Process::with_teardown(move || {
        r.hit();
        panic!("injected: sync teardown")
    })
    .named("flusher");
    let observer = tokio::spawn(p.closed());
    let (a, b) = (p.close(), p.close());
    let (a, b) = (within(a).await, within(b).await);
    within(observer).await.unwrap();
    for err in [a.unwrap_err(), b.unwrap_err(), p.err().await.unwrap_err()] {
        assert_eq!(err.kind(), ErrorKind::Panic);
        assert_eq!(err.panic_message(), Some("injected: sync teardown"));
        assert!(err.to_string().contains("`flusher`"), "{err}");
    }
    assert_eq!(runs.get(), 1);
}

#[tokio::test]
async fn a_panicking_async_teardown_runs_once_and_is_reported() {
    common::quiet_injected_panics();
    let runs = Runs::default();
    let r = runs.clone();
    let p = Process::with_async_teardown(move || async move {
        r.hit();
        tokio::task::yield_now().await;
        panic!("injected: async teardown")
    });
    let err = within(p.close()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Panic);
    assert_eq!(err.panic_message(), Some("injected: async teardown"));
    within(p.closed()).await;
    assert_eq!(
        within(p.close()).await.unwrap_err().kind(),
        ErrorKind::Panic
    );
    assert_eq!(runs.get(), 1);
}

#[tokio::test]
async fn a_teardown_that_panics_from_close_blocking_on_a_plain_thread() {
    common::quiet_injected_panics();
    let runs = Runs::default();
    let r = runs.clone();
    let p = Process::with_teardown(move || {
        r.hit();
        panic!("injected: blocking")
    });
    let q = p.clone();
    let err = common::within_blocking(move || q.close_blocking()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Panic);
    assert_eq!(runs.get(), 1);
}

#[tokio::test]
async fn a_child_that_panics_while_its_parent_is_closing() {
    common::quiet_injected_panics();
    let log = Log::new();
    let parent = Process::with_teardown(log.teardown("parent")).named("app");
    let l = log.clone();
    let worker = parent
        .go(move |me| async move {
            me.closing().await;
            l.push("worker saw closing");
            panic!("injected: while draining")
        })
        .named("worker");
    let sibling = Process::with_parent(&parent).named("sibling");
    sibling.set_teardown(log.teardown("sibling")).unwrap();

    let err = within(parent.close()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Children);
    assert_eq!(err.children()[0].name(), "worker");
    assert_eq!(err.children()[0].error().kind(), ErrorKind::Panic);
    assert_eq!(
        err.children()[0].error().panic_message(),
        Some("injected: while draining")
    );
    assert!(worker.is_closed() && sibling.is_closed());
    // The parent's teardown still ran, once, after both.
    assert_eq!(log.events().last().map(String::as_str), Some("parent"));
    assert_eq!(log.events().iter().filter(|e| *e == "parent").count(), 1);
    assert!(log.pos("worker saw closing") < log.pos("parent"));
    assert!(log.pos("sibling") < log.pos("parent"));
}

#[tokio::test]
async fn a_child_teardown_that_panics_while_its_parent_is_closing() {
    common::quiet_injected_panics();
    let log = Log::new();
    let parent = Process::with_teardown(log.teardown("parent")).named("app");
    let child = Process::with_parent(&parent).named("db");
    let l = log.clone();
    child
        .set_async_teardown(move || async move {
            l.push("db");
            panic!("injected: db teardown")
        })
        .unwrap();
    let grandchild = Process::with_parent(&child).named("pool");
    grandchild.set_teardown(log.teardown("pool")).unwrap();

    let err = within(parent.close()).await.unwrap_err();
    assert_eq!(log.events(), ["pool", "db", "parent"]);
    let mut found = Vec::new();
    err.walk(|path, e| found.push((path.join("/"), e.kind())));
    assert!(
        found.contains(&("db".to_string(), ErrorKind::Panic)),
        "the failed child is named with its path: {found:?}"
    );
    within(grandchild.closed()).await;
    assert_eq!(common::edge_counts(&child), (0, 0));
    assert_eq!(common::edge_counts(&parent), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_panicking_children_across_threads_never_hang_the_parent() {
    common::quiet_injected_panics();
    let runs = Runs::default();
    let r = runs.clone();
    let parent = Process::with_teardown(move || {
        r.hit();
        Ok(())
    });
    let children: Vec<Process> = (0..200)
        .map(|i| {
            parent.go(move |me| async move {
                if i % 3 == 0 {
                    panic!("injected: {i}");
                }
                me.closing().await;
                if i % 3 == 1 {
                    panic!("injected: late {i}");
                }
            })
        })
        .collect();
    let err = within(parent.close()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Children);
    let failed = err.children().len() + err.omitted_children();
    assert_eq!(failed, 134, "every panicking child is counted: {err}");
    for c in &children {
        within(c.closed()).await;
    }
    assert_eq!(runs.get(), 1);
    assert_eq!(common::edge_counts(&parent), (0, 0));
}
