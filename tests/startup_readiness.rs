//! Readiness: `ready`, `is_ready`, `set_ready`, `ready_within`,
//! `ChildBuilder::signals_ready`, and rollback of a failed start.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Log, within};
use goprocess::events::Event;
use goprocess::{CloseCause, ErrorKind, Process};
use tokio::sync::oneshot;

/// Records Ready / StartFailed / Closed events of `p`'s subtree.
fn record(p: &Process) -> Log {
    let log = Log::new();
    let l = log.clone();
    p.on_event(move |e| match e {
        Event::Ready { process } => l.push(format!("{process}: ready")),
        Event::StartFailed { process, error } => {
            l.push(format!("{process}: start failed ({:?})", error.kind()))
        }
        Event::Closed { process, .. } => l.push(format!("{process}: closed")),
        _ => {}
    });
    log
}

/// A child that says it serves once `go` is sent.
fn gated(parent: &Process, name: &'static str) -> (Process, oneshot::Sender<()>) {
    let (tx, rx) = oneshot::channel::<()>();
    let child = parent
        .child()
        .named(name)
        .signals_ready()
        .go(move |me| async move {
            tokio::select! {
                biased;
                _ = me.closing() => return,
                go = rx => if go.is_ok() { me.set_ready() } else { return },
            }
            me.closing().await;
        });
    (child, tx)
}

#[tokio::test]
async fn a_plain_tree_is_ready_as_it_is_made() {
    let app = Process::new().named("app");
    let db = Process::with_parent(&app).named("db");
    let _job = db.go(|me| async move { me.closing().await });
    assert!(app.is_ready() && db.is_ready());
    within(app.ready()).await.unwrap();
    // set_ready on a process that never declared it does nothing.
    db.set_ready();
    assert!(app.is_ready());
    within(app.close()).await.unwrap();
}

#[tokio::test]
async fn a_parent_is_ready_once_every_child_that_signals_is() {
    let app = Process::new().named("app");
    let log = record(&app);
    let mid = Process::with_parent(&app).named("mid");
    let (db, db_go) = gated(&mid, "db");
    let (http, http_go) = gated(&app, "http");
    assert!(!app.is_ready() && !mid.is_ready() && !db.is_ready());
    let waiting = tokio::spawn(app.ready());
    db_go.send(()).unwrap();
    within(async {
        while !mid.is_ready() {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(!app.is_ready(), "http is not ready yet");
    assert!(!waiting.is_finished());
    http_go.send(()).unwrap();
    within(waiting).await.unwrap().unwrap();
    assert!(app.is_ready() && http.is_ready());
    let events = log.events();
    assert!(log.pos("db: ready") < log.pos("mid: ready"), "{events:?}");
    assert!(log.pos("http: ready") < log.pos("app: ready"), "{events:?}");
    assert_eq!(events.len(), 4, "{events:?}");
    within(app.close()).await.unwrap();
}

#[tokio::test]
async fn a_child_linked_later_that_is_not_ready_makes_its_ancestors_not_ready() {
    let app = Process::new().named("app");
    let mid = Process::with_parent(&app).named("mid");
    assert!(app.is_ready());
    let (_late, go) = gated(&mid, "late");
    assert!(!mid.is_ready() && !app.is_ready());
    go.send(()).unwrap();
    within(app.ready()).await.unwrap();
    // An existing process, not ready, adopted with add_child.
    let other = Process::new().named("other");
    let (_below, go) = gated(&other, "below");
    assert!(!other.is_ready());
    app.add_child(&other).unwrap();
    assert!(!app.is_ready());
    go.send(()).unwrap();
    within(app.ready()).await.unwrap();
    within(app.close()).await.unwrap();
}

#[tokio::test]
async fn no_wait_children_and_wait_targets_are_not_part_of_the_start() {
    let app = Process::new().named("app");
    let metrics = Process::new().named("metrics");
    let (_m, _go1) = gated(&metrics, "m");
    let journal = Process::new().named("journal");
    let (_j, _go2) = gated(&journal, "j");
    app.add_child_no_wait(&metrics);
    app.wait_for(&journal).unwrap();
    assert!(app.is_ready());
    within(app.ready()).await.unwrap();
    within(metrics.close()).await.unwrap();
    within(journal.close()).await.unwrap();
    within(app.close()).await.unwrap();
}

/// A function that signals readiness and returns without it failed to
/// start: its ancestors that are not ready close (cause StartFailed,
/// whatever their OnFailure), siblings included, and `ready()` says why.
#[tokio::test]
async fn a_function_that_returns_before_it_is_ready_rolls_the_start_back() {
    let app = Process::new().named("app");
    let log = record(&app);
    let (sibling, _keep) = gated(&app, "sibling");
    let (done_tx, done_rx) = oneshot::channel::<()>();
    let bind = app
        .child()
        .named("bind")
        .signals_ready()
        .go(move |_| async move {
            let _ = done_rx.await;
            Err::<(), _>(std::io::Error::other("address in use"))
        });
    done_tx.send(()).unwrap();
    let err = within(app.ready()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StartFailed, "{err}");
    assert!(
        err.to_string()
            .contains("`bind` closed before it was ready"),
        "{err}"
    );
    assert!(
        err.downcast_ref::<std::io::Error>().is_some(),
        "the failure is listed: {err}"
    );
    assert!(matches!(app.close_cause(), Some(CloseCause::StartFailed)));
    assert!(sibling.is_closed() && bind.is_closed());
    let events = log.events();
    assert!(
        log.pos("bind: start failed (StartFailed)") < log.pos("bind: closed"),
        "{events:?}"
    );
    assert!(
        log.pos("app: start failed (StartFailed)") < log.pos("app: closed"),
        "{events:?}"
    );
    let app_err = within(app.err()).await.unwrap_err();
    assert_eq!(app_err.kind(), ErrorKind::StartFailed);
}

#[tokio::test]
async fn returning_without_set_ready_is_a_failure_to_start() {
    let app = Process::new();
    let quiet = app.child().named("quiet").signals_ready().go(|_| async {});
    let err = within(quiet.err()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StartFailed);
    assert!(
        err.to_string().contains("never called set_ready()"),
        "{err}"
    );
    within(app.closed()).await;
}

/// A running service that adopts a part that fails to start rolls back:
/// the part is part of its start, as it is now.
#[tokio::test]
async fn a_ready_service_that_adopts_a_part_that_fails_to_start_rolls_back() {
    let app = Process::new().named("app");
    within(app.ready()).await.unwrap();
    let (part, go) = gated(&app, "part");
    assert!(!app.is_ready());
    drop(go); // the part never gets ready: its function returns
    let err = within(part.err()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StartFailed);
    within(app.closed()).await;
    assert!(matches!(app.close_cause(), Some(CloseCause::StartFailed)));
}

/// Only the ancestors that are not ready roll back.
#[tokio::test]
async fn a_ready_ancestor_beyond_a_no_wait_link_is_untouched() {
    let root = Process::new().named("root");
    let app = Process::new().named("app");
    root.add_child_no_wait(&app);
    let (_part, go) = gated(&app, "part");
    drop(go);
    within(app.closed()).await;
    tokio::task::yield_now().await;
    assert!(!root.is_closing());
    within(root.close()).await.unwrap();
}

#[tokio::test]
async fn closed_during_its_start_ready_is_an_error_and_the_close_is_no_failure() {
    let app = Process::new().named("app");
    let (_db, _go) = gated(&app, "db");
    let ready = tokio::spawn(app.ready());
    within(app.close()).await.unwrap();
    let err = within(ready).await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StartFailed);
    assert!(err.to_string().contains("asked to close"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn ready_within_names_who_is_not_ready_and_rolls_back() {
    let app = Process::new().named("app");
    let (_http, go) = gated(&app, "http");
    let mid = Process::with_parent(&app).named("mid");
    let (_db, _never) = gated(&mid, "db");
    go.send(()).unwrap();
    let started = tokio::time::Instant::now();
    let err = within(app.ready_within(Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    assert_eq!(err.kind(), ErrorKind::StartTimeout);
    let text = err.to_string();
    assert!(
        text.contains("`app` (not ready for 5.0s; waits for `mid`)"),
        "{text}"
    );
    assert!(
        text.contains("`app/mid/db` (not ready for 5.0s; waits for set_ready())"),
        "{text}"
    );
    assert!(!text.contains("http"), "http was ready: {text}");
    within(app.closed()).await;
    assert!(matches!(app.close_cause(), Some(CloseCause::StartFailed)));
    assert_eq!(
        within(app.err()).await.unwrap_err().kind(),
        ErrorKind::StartTimeout
    );
}

#[tokio::test(start_paused = true)]
async fn ready_within_is_ok_when_the_start_fits() {
    let app = Process::new().named("app");
    let (_http, go) = gated(&app, "http");
    go.send(()).unwrap();
    within(app.ready_within(Duration::from_secs(5)))
        .await
        .unwrap();
    assert!(!app.is_closing());
    within(app.close()).await.unwrap();
}

/// 10,000 parts that signal readiness, made ready from 10,000 tasks on two
/// workers: the parent is ready once, after the last.
#[test]
fn ten_thousand_concurrent_starts() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let app = Process::new().named("app");
        let ready_events = Arc::new(AtomicUsize::new(0));
        let r = ready_events.clone();
        let app_id = app.id();
        app.on_event(move |e| {
            if let Event::Ready { process } = e
                && process.id() == app_id
            {
                r.fetch_add(1, Ordering::SeqCst);
            }
        });
        let mid = Process::with_parent(&app).named("mid");
        let (go, _) = tokio::sync::broadcast::channel::<()>(1);
        for i in 0..10_000 {
            let parent = if i % 2 == 0 { &app } else { &mid };
            let mut start = go.subscribe();
            parent.child().signals_ready().go(move |me| async move {
                let _ = start.recv().await;
                me.set_ready();
                me.closing().await;
            });
        }
        assert!(!app.is_ready());
        go.send(()).unwrap();
        within(app.ready()).await.unwrap();
        assert!(app.is_ready() && mid.is_ready());
        assert_eq!(ready_events.load(Ordering::SeqCst), 1);
        within(app.close()).await.unwrap();
    });
}
