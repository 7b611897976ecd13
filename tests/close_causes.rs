//! Why a process closed: one test per kind of [`CloseCause`], read with
//! `Process::close_cause`, and the same cause shown by snapshots, shutdown
//! reports and timeline rows. (The tracing `closing` event's is tested in
//! process_tracing.rs, a binary whose tests all install a subscriber.)

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::within;
use goprocess::context;
use goprocess::introspect::Timeline;
use goprocess::signal::SignalKind;
use goprocess::supervise::{Restart, Strategy, Supervisor};
use goprocess::{CloseCause, ErrorKind, Escalation, OnFailure, Process, Start, process};
use tokio_util::sync::CancellationToken;

/// Whether `cause` names `p` (for the causes that name a process).
fn names(cause: &Option<CloseCause>, p: &Process) -> bool {
    match cause {
        Some(CloseCause::Parent(r) | CloseCause::ChildFailed(r) | CloseCause::Restart(r)) => {
            r.id() == p.id()
        }
        _ => false,
    }
}

#[test]
fn a_running_process_has_no_cause() {
    let p = Process::new();
    assert_eq!(p.close_cause(), None);
    assert_eq!(Process::background().close_cause(), None);
}

// ---- asked ----

#[tokio::test]
async fn every_way_of_asking_is_asked() {
    let p = Process::new();
    within(p.close()).await.unwrap();
    assert_eq!(p.close_cause(), Some(CloseCause::Asked));

    let p = Process::new();
    p.request_close();
    assert_eq!(p.close_cause(), Some(CloseCause::Asked));

    let p = Process::new();
    within(p.close_within(Duration::from_secs(1)))
        .await
        .unwrap();
    assert_eq!(p.close_cause(), Some(CloseCause::Asked));

    let p = Process::new();
    let q = p.clone();
    common::within_blocking(move || q.close_blocking()).unwrap();
    assert_eq!(p.close_cause(), Some(CloseCause::Asked));

    let p = Process::new();
    let job = p.go(|_| async {});
    within(p.close_after_children()).await.unwrap();
    assert_eq!(p.close_cause(), Some(CloseCause::Asked));
    assert_eq!(job.close_cause(), Some(CloseCause::Returned));
}

#[test]
fn the_first_cause_stays() {
    let p = Process::new();
    p.request_close();
    p.close_blocking().unwrap();
    assert_eq!(p.close_cause(), Some(CloseCause::Asked));
    let child = Process::new();
    let parent = Process::new();
    parent.add_child(&child).unwrap();
    child.close_blocking().unwrap();
    parent.close_blocking().unwrap();
    assert_eq!(
        child.close_cause(),
        Some(CloseCause::Asked),
        "closed before its parent"
    );
}

// ---- parent ----

#[tokio::test]
async fn a_child_closed_with_its_parent_names_the_first_parent_that_closed_it() {
    let a = Process::new().named("a");
    let b = Process::new().named("b");
    let shared = Process::with_parent(&a).named("shared");
    b.add_child(&shared).unwrap();
    let no_wait = Process::new();
    b.add_child_no_wait(&no_wait);
    within(b.close()).await.unwrap();
    let cause = shared.close_cause();
    assert!(names(&cause, &b), "{cause:?}");
    assert_eq!(cause.unwrap().to_string(), "closed by its parent `b`");
    assert!(names(&no_wait.close_cause(), &b));
    within(a.close()).await.unwrap();
    assert!(names(&shared.close_cause(), &b), "the first one stays");
}

#[tokio::test]
async fn a_child_linked_to_a_closing_parent_names_it() {
    let parent = Process::new().named("parent");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    parent
        .set_async_teardown(move || async move {
            let _ = rx.await;
            Ok(())
        })
        .unwrap();
    parent.request_close();
    let late = Process::with_parent(&parent);
    let added = Process::new();
    parent.add_child(&added).unwrap();
    assert!(names(&late.close_cause(), &parent));
    assert!(names(&added.close_cause(), &parent));
    tx.send(()).unwrap();
    within(parent.closed()).await;
}

// ---- function ----

#[tokio::test]
async fn a_function_that_returns_or_fails_says_so() {
    let ok = goprocess::go(|_| async {});
    let err = goprocess::go(|_| async { Err::<(), _>("bad") });
    within(ok.closed()).await;
    within(err.closed()).await;
    assert_eq!(ok.close_cause(), Some(CloseCause::Returned));
    assert_eq!(err.close_cause(), Some(CloseCause::Failed));
    assert_eq!(
        err.close_cause().unwrap().to_string(),
        "its function failed"
    );
}

#[test]
fn a_dropped_task_is_a_failure() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let p = rt.block_on(async { goprocess::go(|_| std::future::pending::<()>()) });
    drop(rt);
    assert_eq!(p.close_cause(), Some(CloseCause::Failed));
}

// ---- child failed ----

#[tokio::test]
async fn a_propagated_failure_names_the_child() {
    let app = Process::new().named("app");
    let http = app
        .child()
        .named("http")
        .on_failure(OnFailure::Propagate)
        .go(|_| async { Err::<(), _>("bind") });
    within(app.closed()).await;
    let cause = app.close_cause();
    assert!(matches!(&cause, Some(CloseCause::ChildFailed(c)) if c.id() == http.id()));
    assert_eq!(cause.unwrap().to_string(), "its child `http` failed");
}

// ---- signal ----

#[cfg(unix)]
#[tokio::test]
async fn a_signal_names_the_signal() {
    let p = goprocess::with_signals([SignalKind::user_defined1()]);
    common::raise("USR1");
    within(p.closed()).await;
    let cause = p.close_cause();
    assert_eq!(cause, Some(CloseCause::Signal("SIGUSR1".into())));
    assert_eq!(cause.unwrap().to_string(), "signal SIGUSR1");
}

// ---- token ----

#[tokio::test]
async fn a_cancelled_token_is_a_token() {
    let token = CancellationToken::new();
    let p = context::with_token(token.clone());
    let q = Process::new();
    context::close_after_token(&q, token.clone());
    token.cancel();
    within(p.closed()).await;
    within(q.closed()).await;
    assert_eq!(p.close_cause(), Some(CloseCause::Token));
    assert_eq!(q.close_cause(), Some(CloseCause::Token));
}

// ---- budget ----

#[process]
struct Ordered {
    #[child]
    first: Process,
    #[child]
    #[wait_for(first)]
    second: Process,
}

/// A process still running when a budget ran out (here: a child that was
/// to close only after its sibling, which ignores its close and is left
/// running) had its function aborted: `Budget`.
#[tokio::test(start_paused = true)]
async fn a_running_process_aborted_by_a_budget_says_budget() {
    let first = goprocess::go(|_| std::future::pending::<()>()).escalation(Escalation::Detach);
    let second = goprocess::go(|_| std::future::pending::<()>());
    let app = Ordered {
        first: first.clone(),
        second: second.clone(),
    }
    .start();
    let err = within(app.process().close_within(Duration::from_secs(1)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    within(second.closed()).await;
    assert!(names(&first.close_cause(), app.process()));
    assert_eq!(second.close_cause(), Some(CloseCause::Budget));
    assert_eq!(second.err().await.unwrap_err().kind(), ErrorKind::Aborted);
}

// ---- supervisors ----

#[tokio::test(start_paused = true)]
async fn a_sibling_closed_for_a_restart_names_the_supervisor() {
    let app = Process::new().named("app");
    let sup = Supervisor::new(&app, Strategy::OneForAll).named("sup");
    let runs = Arc::new(Mutex::new(Vec::new()));
    let r = runs.clone();
    sup.child("idle", Restart::Permanent, move |me| {
        r.lock().unwrap().push(me.clone());
        async move { me.closing().await }
    })
    .unwrap();
    let crashed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    sup.child("crash", Restart::Permanent, move |me| {
        let first = !crashed.swap(true, std::sync::atomic::Ordering::SeqCst);
        async move {
            if first {
                return Err("once");
            }
            me.closing().await;
            Ok(())
        }
    })
    .unwrap();
    within(async {
        while sup.restarts() < 1 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    let first_run = runs.lock().unwrap()[0].clone();
    let cause = first_run.close_cause();
    assert!(names(&cause, sup.process()), "{cause:?}");
    assert_eq!(
        cause.unwrap().to_string(),
        "its supervisor `sup` restarted it"
    );
    within(app.close()).await.unwrap();
}

/// A supervisor's close is no restart: its children close because their
/// parent, the supervisor, closed.
#[tokio::test(start_paused = true)]
async fn children_of_a_closing_supervisor_name_it_as_their_parent() {
    let app = Process::new().named("app");
    let sup = Supervisor::new(&app, Strategy::OneForOne).named("sup");
    let runs = Arc::new(Mutex::new(Vec::new()));
    let r = runs.clone();
    sup.child("w", Restart::Permanent, move |me| {
        r.lock().unwrap().push(me.clone());
        async move { me.closing().await }
    })
    .unwrap();
    tokio::task::yield_now().await;
    within(app.close()).await.unwrap();
    let run = runs.lock().unwrap()[0].clone();
    let cause = run.close_cause();
    assert!(
        matches!(&cause, Some(CloseCause::Parent(p)) if p.id() == sup.process().id()),
        "{cause:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_supervisor_that_gave_up_says_restart_limit() {
    let sup = Supervisor::new(&Process::new(), Strategy::OneForOne)
        .max_restarts(1, Duration::from_secs(1));
    sup.child("w", Restart::Permanent, |_| async { Err::<(), _>("x") })
        .unwrap();
    within(sup.process().closed()).await;
    let cause = sup.process().close_cause();
    assert_eq!(cause, Some(CloseCause::RestartLimit));
    assert_eq!(cause.unwrap().to_string(), "too many restarts");
}

// ---- start failed ----

#[process]
struct Refused {
    #[child]
    forever: Process,
}

#[tokio::test]
async fn a_struct_with_a_refused_field_or_a_refused_supervisor_says_start_failed() {
    let app = Refused {
        forever: Process::background(),
    }
    .start();
    within(app.process().closed()).await;
    assert_eq!(app.process().close_cause(), Some(CloseCause::StartFailed));
    assert_eq!(
        app.process().err().await.unwrap_err().kind(),
        ErrorKind::NeverCloses
    );

    let sup = Supervisor::new(&Process::new(), Strategy::OneForOne)
        .max_restarts(0, Duration::from_secs(1));
    within(sup.process().closed()).await;
    assert_eq!(sup.process().close_cause(), Some(CloseCause::StartFailed));
}

// ---- where causes are shown ----

#[tokio::test]
async fn snapshots_and_shutdown_reports_show_the_cause() {
    let app = Process::new().named("app");
    let db = app.go(|_| std::future::pending::<()>()).named("db");
    let closing = tokio::spawn(app.close());
    tokio::task::yield_now().await;

    let snapshot = app.snapshot();
    assert_eq!(
        snapshot.get(app.id()).unwrap().close_cause(),
        Some(&CloseCause::Asked)
    );
    let db_cause = snapshot.get(db.id()).unwrap().close_cause().cloned();
    assert!(names(&db_cause, &app));
    let text = snapshot.to_string();
    assert!(text.contains(": asked to close, age"), "{text}");
    assert!(text.contains(": closed by its parent `app`, age"), "{text}");

    let report = app.shutdown_report().to_string();
    assert!(report.contains("`app` (closing for"), "{report}");
    assert!(
        report.contains(": asked to close; waits for `db`)"),
        "{report}"
    );
    assert!(
        report.contains(": closed by its parent `app`; waits for its function)"),
        "{report}"
    );
    closing.abort();
}

#[tokio::test]
async fn timeline_rows_and_events_carry_the_cause() {
    let app = Process::new().named("app");
    let http = app
        .child()
        .named("http")
        .on_failure(OnFailure::Propagate)
        .go(|me| async move {
            me.closing().await;
        });
    let db = Process::with_parent(&app).named("db");
    let timeline = Timeline::new();
    timeline.attach(&app);
    within(db.close()).await.unwrap();
    within(app.close()).await.unwrap();

    let rows = timeline.rows();
    let cause_of = |name: &str| {
        rows.iter()
            .find(|r| r.name() == name)
            .and_then(|r| r.cause())
            .cloned()
    };
    assert_eq!(cause_of("db"), Some(CloseCause::Asked));
    assert_eq!(cause_of("app"), Some(CloseCause::Asked));
    assert!(names(&cause_of("http"), &app));
    let closing: Vec<String> = timeline
        .events()
        .iter()
        .filter_map(|e| e.cause().map(|c| format!("{}: {c}", e.name())))
        .collect();
    assert_eq!(
        closing,
        [
            "db: asked to close",
            "app: asked to close",
            "http: closed by its parent `app`"
        ]
    );
    assert!(http.is_closed());
}
