//! `OnFailure`: what a process's failure does to the processes it is a
//! child of. One test per rule of the contract:
//!
//! - `Isolate` (the default): the failure is kept, a parent lists it when
//!   it closes, and nothing else happens;
//! - `Propagate`: a process that closes with its own error (function or
//!   teardown `Err`, panic, abort, budget overrun) asks every process it
//!   is a child of (`add_child`, `add_child_no_wait`, `with_parent`, `go`)
//!   to close, in their declared order;
//! - a parent closed that way has failed too: its error lists the failure
//!   (also for an `add_child_no_wait` parent), and its own policy applies
//!   in turn (`Propagate` all the way up shuts the service down, an
//!   `Isolate` parent stops it);
//! - an isolated failure long before does not make a later, ordinary close
//!   propagate.

mod common;

use std::time::Duration;

use common::{Log, within};
use goprocess::{CloseCause, Error, ErrorKind, OnFailure, Process, Start, process};

/// Whether `cause` is `ChildFailed` naming `child`.
fn child_failed(cause: Option<CloseCause>, child: &Process) -> bool {
    matches!(cause, Some(CloseCause::ChildFailed(c)) if c.id() == child.id())
}

/// The names of the failed children `err` lists.
fn listed(err: &Error) -> Vec<String> {
    err.children()
        .iter()
        .map(|c| c.name().to_string())
        .collect()
}

/// A process function that serves until closing, recording when it stops.
fn server(
    log: &Log,
    name: &'static str,
) -> impl FnOnce(Process) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + 'static {
    let log = log.clone();
    move |me: Process| {
        Box::pin(async move {
            me.closing().await;
            log.push(format!("{name} stopped"));
        })
    }
}

// ---- Isolate ----

#[tokio::test]
async fn isolate_is_the_default_and_keeps_the_failure_for_the_parent() {
    assert_eq!(OnFailure::default(), OnFailure::Isolate);
    let app = Process::new().named("app");
    let sibling = app
        .go(|me| async move { me.closing().await })
        .named("sibling");
    let bad = app
        .child()
        .named("bad")
        .go(|_| async { Err::<(), _>("port in use") });
    within(bad.closed()).await;
    tokio::task::yield_now().await;
    assert!(!app.is_closing(), "an isolated failure closes nothing else");
    assert!(!sibling.is_closing());

    let err = within(app.close()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Children);
    assert_eq!(listed(&err), ["bad"]);
    assert_eq!(err.children()[0].error().kind(), ErrorKind::Function);
    assert_eq!(app.close_cause(), Some(CloseCause::Asked));
}

// ---- Propagate, by kind of failure ----

#[tokio::test]
async fn a_propagating_function_error_closes_its_parent_and_the_siblings() {
    let log = Log::new();
    let app = Process::new().named("app");
    app.set_teardown(log.teardown("app teardown")).unwrap();
    let sibling = app.child().named("sibling").go(server(&log, "sibling"));
    let http = app
        .child()
        .named("http")
        .on_failure(OnFailure::Propagate)
        .go(|_| async { Err::<(), _>("port in use") });

    within(app.closed()).await;
    assert_eq!(log.events(), ["sibling stopped", "app teardown"]);
    assert!(
        child_failed(app.close_cause(), &http),
        "{:?}",
        app.close_cause()
    );
    assert!(matches!(sibling.close_cause(), Some(CloseCause::Parent(p)) if p.id() == app.id()));
    assert_eq!(http.close_cause(), Some(CloseCause::Failed));

    let err = app.err().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Children, "{err}");
    assert_eq!(listed(&err), ["http"]);
    assert_eq!(err.children()[0].error().kind(), ErrorKind::Function);
    assert!(err.to_string().contains("port in use"), "{err}");
}

#[tokio::test]
async fn a_propagating_panic_closes_its_parent() {
    common::quiet_injected_panics();
    let app = Process::new().named("app");
    let worker = app
        .child()
        .named("worker")
        .on_failure(OnFailure::Propagate)
        .go(|_| async { panic!("injected: worker") });
    within(app.closed()).await;
    assert!(child_failed(app.close_cause(), &worker));
    let err = app.err().await.unwrap_err();
    assert_eq!(listed(&err), ["worker"]);
    assert_eq!(
        err.children()[0].error().panic_message(),
        Some("injected: worker")
    );
}

#[tokio::test]
async fn a_propagating_teardown_error_closes_its_with_parent_parent() {
    let app = Process::new().named("app");
    let db = Process::with_parent(&app)
        .named("db")
        .on_failure(OnFailure::Propagate);
    db.set_teardown(|| Err("flush failed".into())).unwrap();
    let err = within(db.close()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Teardown);
    assert!(app.is_closed(), "the parent was asked to close");
    assert!(child_failed(app.close_cause(), &db));
    let err = app.err().await.unwrap_err();
    assert_eq!(listed(&err), ["db"]);
    assert_eq!(err.children()[0].error().kind(), ErrorKind::Teardown);
}

#[tokio::test]
async fn a_propagating_teardown_panic_closes_its_add_child_parent() {
    common::quiet_injected_panics();
    let app = Process::new().named("app");
    let db = Process::with_teardown(|| panic!("injected: teardown"))
        .named("db")
        .on_failure(OnFailure::Propagate);
    app.add_child(&db).unwrap();
    let _ = within(db.close()).await;
    assert!(app.is_closed());
    assert!(child_failed(app.close_cause(), &db));
    let err = app.err().await.unwrap_err();
    assert_eq!(err.children()[0].error().kind(), ErrorKind::Panic);
}

/// A task dropped with its runtime is an abort: its process fails, and
/// with `Propagate` its parent closes (no runtime needed for that).
#[test]
fn a_propagating_abort_closes_its_parent() {
    let app = Process::new().named("app");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let worker = rt.block_on(async {
        app.child()
            .named("worker")
            .on_failure(OnFailure::Propagate)
            .go(|_| std::future::pending::<()>())
    });
    assert!(!app.is_closing());
    drop(rt); // drops the task
    assert!(worker.is_closed());
    assert!(app.is_closed(), "the abort propagated");
    assert!(child_failed(app.close_cause(), &worker));
    let err = common::within_blocking(move || app.close_blocking()).unwrap_err();
    assert_eq!(listed(&err), ["worker"]);
    assert_eq!(err.children()[0].error().kind(), ErrorKind::Aborted);
}

/// An overrun propagates at the deadline: the parent does not wait for a
/// process that may never close.
#[tokio::test(start_paused = true)]
async fn a_propagating_budget_overrun_closes_its_parent_at_the_deadline() {
    let app = Process::new().named("app");
    let stuck = Process::with_parent(&app)
        .named("stuck")
        .on_failure(OnFailure::Propagate)
        .close_timeout(Duration::from_secs(1));
    stuck.set_async_teardown(std::future::pending).unwrap();
    let start = tokio::time::Instant::now();
    stuck.request_close();
    within(app.closed()).await;
    assert_eq!(start.elapsed(), Duration::from_secs(1), "at the deadline");
    assert!(child_failed(app.close_cause(), &stuck));
    let err = app.err().await.unwrap_err();
    assert_eq!(listed(&err), ["stuck"]);
    assert_eq!(err.children()[0].error().kind(), ErrorKind::Timeout);
}

/// With `Propagate`, a failed function's own children are closed at once
/// rather than waited for: the surroundings are to close promptly.
#[tokio::test(start_paused = true)]
async fn a_propagating_failure_closes_the_failed_process_s_own_children() {
    let app = Process::new().named("app");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let http = app
        .child()
        .named("http")
        .on_failure(OnFailure::Propagate)
        .go(|me| async move {
            me.go(|conn| async move { conn.closing().await })
                .named("conn");
            let _ = rx.await;
            Err::<(), _>("listener died")
        });
    tx.send(()).unwrap();
    within(app.closed()).await;
    assert!(http.is_closed());
}

// ---- the parents: every kind of edge, every parent ----

#[tokio::test]
async fn every_parent_is_asked_to_close_and_lists_the_failure() {
    let a = Process::new().named("a"); // with_parent
    let b = Process::new().named("b"); // add_child
    let c = Process::new().named("c"); // add_child_no_wait
    let waiter = Process::new().named("waiter"); // wait_for: not a parent
    let shared = Process::with_parent(&a)
        .named("shared")
        .on_failure(OnFailure::Propagate);
    b.add_child(&shared).unwrap();
    c.add_child_no_wait(&shared);
    waiter.wait_for(&shared).unwrap();
    shared.set_teardown(|| Err("disk full".into())).unwrap();

    let _ = within(shared.close()).await;
    for parent in [&a, &b, &c] {
        within(parent.closed()).await;
        assert!(child_failed(parent.close_cause(), &shared), "{parent:?}");
        let err = parent.err().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Children, "{parent:?}: {err}");
        assert_eq!(listed(&err), ["shared"], "{parent:?}");
        assert_eq!(err.children()[0].error().kind(), ErrorKind::Teardown);
    }
    assert!(
        !waiter.is_closing(),
        "a process that only waits for it is no parent"
    );
    within(waiter.close()).await.unwrap();
}

/// A no-wait parent does not wait for the child, so the failure is listed
/// when it propagates, not when the child closes: a no-wait parent that
/// merely outlives an isolated child lists nothing (as in Go).
#[tokio::test]
async fn only_a_propagated_failure_is_listed_by_a_no_wait_parent() {
    let parent = Process::new().named("parent");
    let isolated = Process::with_teardown(|| Err("x".into())).named("isolated");
    parent.add_child_no_wait(&isolated);
    let _ = within(isolated.close()).await;
    assert!(!parent.is_closing());
    within(parent.close()).await.unwrap();
}

#[tokio::test]
async fn a_failure_while_the_parent_closes_keeps_the_parent_s_cause() {
    let app = Process::new().named("app");
    let http = app
        .child()
        .named("http")
        .on_failure(OnFailure::Propagate)
        .go(|me| async move {
            me.closing().await;
            Err::<(), _>("drain failed")
        });
    let err = within(app.close()).await.unwrap_err();
    assert_eq!(app.close_cause(), Some(CloseCause::Asked));
    assert_eq!(listed(&err), ["http"], "listed once: {err}");
    assert_eq!(err.children().len(), 1);
    assert!(http.is_closed());
}

// ---- up the chain ----

/// Four levels, all `Propagate`: the leaf's failure shuts the whole
/// service down, and each level's cause names the one below.
#[tokio::test]
async fn propagate_all_the_way_up_shuts_the_whole_service_down() {
    let log = Log::new();
    let service = Process::new()
        .named("service")
        .on_failure(OnFailure::Propagate);
    service.set_teardown(log.teardown("service")).unwrap();
    let api = Process::with_parent(&service)
        .named("api")
        .on_failure(OnFailure::Propagate);
    api.set_teardown(log.teardown("api")).unwrap();
    let store = Process::with_parent(&service).named("store");
    store.set_teardown(log.teardown("store")).unwrap();
    let conn = api
        .child()
        .named("conn")
        .on_failure(OnFailure::Propagate)
        .go(|_| async { Err::<(), _>("reset by peer") });

    within(service.closed()).await;
    // The failure reaches the service as soon as it is known: its siblings
    // api and store close concurrently, then the service.
    let mut events = log.events();
    assert_eq!(events.pop().as_deref(), Some("service"));
    events.sort();
    assert_eq!(events, ["api", "store"]);
    assert!(
        child_failed(api.close_cause(), &conn),
        "{:?}",
        api.close_cause()
    );
    assert!(child_failed(service.close_cause(), &api));
    assert!(matches!(store.close_cause(), Some(CloseCause::Parent(p)) if p.id() == service.id()));

    // The chain of failures: service lists api, which lists conn.
    let err = service.err().await.unwrap_err();
    assert_eq!(listed(&err), ["api"]);
    let api_err = err.children()[0].error();
    assert_eq!(api_err.kind(), ErrorKind::Children);
    assert_eq!(listed(api_err), ["conn"]);
    assert_eq!(api_err.children()[0].error().kind(), ErrorKind::Function);
    let mut paths = Vec::new();
    err.walk(|path, e| paths.push(format!("/{} {:?}", path.join("/"), e.kind())));
    assert_eq!(paths, ["/ Children", "/api Children", "/api/conn Function"]);
}

/// An `Isolate` parent closed by a propagating child has failed, but its
/// own policy keeps the failure: the propagation stops there.
#[tokio::test]
async fn an_isolate_parent_stops_the_propagation() {
    let root = Process::new().named("root");
    let pool = Process::with_parent(&root).named("pool"); // Isolate
    let worker = pool
        .child()
        .named("worker")
        .on_failure(OnFailure::Propagate)
        .go(|_| async { Err::<(), _>("poison") });
    within(pool.closed()).await;
    assert!(child_failed(pool.close_cause(), &worker));
    tokio::task::yield_now().await;
    assert!(!root.is_closing(), "pool is Isolate: root keeps running");

    let err = within(root.close()).await.unwrap_err();
    assert_eq!(root.close_cause(), Some(CloseCause::Asked));
    assert_eq!(listed(&err), ["pool"]);
    assert_eq!(listed(err.children()[0].error()), ["worker"]);
}

/// A failed `Isolate` child, long before, makes its parent's error list it,
/// but the parent's later ordinary close is no failure of its own: a
/// `Propagate` parent does not propagate it.
#[tokio::test(start_paused = true)]
async fn an_isolated_failure_long_before_does_not_make_a_later_close_propagate() {
    let root = Process::new().named("root");
    let app = Process::with_parent(&root)
        .named("app")
        .on_failure(OnFailure::Propagate);
    let bad = app
        .child()
        .named("bad")
        .go(|_| async { Err::<(), _>("early") }); // Isolate
    within(bad.closed()).await;
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert!(!app.is_closing());

    let err = within(app.close()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Children);
    assert_eq!(listed(&err), ["bad"]);
    tokio::task::yield_now().await;
    assert!(
        !root.is_closing(),
        "an ordinary close of app does not propagate"
    );
    // The failure still reaches root when root closes.
    let err = within(root.close()).await.unwrap_err();
    assert_eq!(listed(&err), ["app"]);
}

/// The same, with the policy set only after the isolated failure: the
/// policy acts on the process's own failures.
#[tokio::test]
async fn propagate_set_after_an_isolated_failure_does_not_propagate_it() {
    let root = Process::new().named("root");
    let app = Process::with_parent(&root).named("app");
    let bad = Process::with_parent(&app).named("bad");
    bad.set_teardown(|| Err("early".into())).unwrap();
    let _ = within(bad.close()).await;
    app.set_on_failure(OnFailure::Propagate);
    let _ = within(app.close()).await;
    assert!(!root.is_closing());
}

/// `Propagate` on a process that closes cleanly does nothing.
#[tokio::test]
async fn propagate_without_a_failure_closes_nothing() {
    let app = Process::new().named("app");
    let job = app
        .child()
        .named("job")
        .on_failure(OnFailure::Propagate)
        .go(|_| async { Ok::<(), Error>(()) });
    within(job.closed()).await;
    let quiet = Process::with_parent(&app).on_failure(OnFailure::Propagate);
    within(quiet.close()).await.unwrap();
    tokio::task::yield_now().await;
    assert!(!app.is_closing());
    within(app.close()).await.unwrap();
}

// ---- declared order ----

#[process]
struct Service {
    #[child]
    trigger: Process,
    #[child]
    http: Process,
    #[child]
    #[wait_for(http)]
    workers: Process,
    #[child]
    #[wait_for(workers)]
    store: Process,
}

/// A propagated failure shuts the surroundings down in their declared
/// order: the server, then the workers, then the store, then the
/// service's own teardown.
#[tokio::test]
async fn a_propagated_failure_closes_the_service_in_its_declared_order() {
    let log = Log::new();
    let leaf = |name: &'static str| {
        let p = Process::new().named(name);
        let log = log.clone();
        p.set_async_teardown(move || async move {
            tokio::task::yield_now().await;
            log.push(name);
            Ok(())
        })
        .unwrap();
        p
    };
    let trigger = Process::new()
        .named("trigger")
        .on_failure(OnFailure::Propagate);
    trigger
        .set_teardown(|| Err("config reload failed".into()))
        .unwrap();
    let service = Service {
        trigger: trigger.clone(),
        http: leaf("http"),
        workers: leaf("workers"),
        store: leaf("store"),
    }
    .start();
    let _ = within(trigger.close()).await;
    within(service.process().closed()).await;
    assert_eq!(log.events(), ["http", "workers", "store"]);
    assert!(child_failed(service.process().close_cause(), &trigger));
    let err = service.process().err().await.unwrap_err();
    assert_eq!(listed(&err), ["trigger"]);
}

// ---- a failure a moment too early, an ordinary close ----

/// A `Propagate` process that had already failed when it is linked asks
/// its new parent to close, exactly as if it had failed after the link:
/// with `add_child`, `add_child_no_wait` and a `#[child]` field.
#[tokio::test]
async fn a_propagating_process_that_failed_before_its_link_still_closes_the_parent() {
    for how in ["add_child", "add_child_no_wait"] {
        let early = Process::with_teardown(|| Err("address in use".into()))
            .named("http")
            .on_failure(OnFailure::Propagate);
        let _ = within(early.close()).await;
        let app = Process::new().named("app");
        match how {
            "add_child" => app.add_child(&early).unwrap(),
            _ => app.add_child_no_wait(&early),
        }
        assert!(
            app.is_closing(),
            "{how}: the failure did not reach the new parent"
        );
        assert!(child_failed(app.close_cause(), &early), "{how}");
        let err = within(app.err()).await.unwrap_err();
        assert_eq!(listed(&err), ["http"], "{how}: {err}");
    }
}

#[process(on_failure = "propagate")]
struct Http {}

impl Http {
    #[goprocess::run]
    async fn serve(&self) -> Result<(), std::io::Error> {
        Err(std::io::Error::other("address in use"))
    }
}

#[process]
struct Frontend {
    #[child]
    http: goprocess::Handle<Http>,
    #[child]
    cache: Process,
}

/// The struct form: the field's `#[run]` failed before the struct adopted
/// it, every time (the race the test makes certain).
#[tokio::test]
async fn a_field_whose_run_failed_before_the_struct_adopted_it_closes_the_struct() {
    for _ in 0..50 {
        let http = Http {}.start();
        within(http.process().closed()).await;
        let app = Frontend {
            http,
            cache: Process::new().named("cache"),
        }
        .start();
        let err = within(app.process().err()).await.unwrap_err();
        assert_eq!(listed(&err), ["http"], "{err}");
        assert!(app.cache.is_closed());
    }
}

/// An ordinary close is no failure of the parent: a `Propagate`
/// component closed by hand, whose `Propagate` worker fails while
/// draining, lists the failure and applies nothing to the app around it.
#[tokio::test]
async fn a_failure_during_an_ordinary_close_does_not_propagate_past_the_closed_process() {
    let app = Process::new().named("app");
    let component = Process::with_parent(&app)
        .named("component")
        .on_failure(OnFailure::Propagate);
    component
        .child()
        .named("worker")
        .on_failure(OnFailure::Propagate)
        .go(|me| async move {
            me.closing().await;
            Err::<(), _>("flush failed while draining")
        });
    let err = within(component.close()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Children, "{err}");
    assert_eq!(listed(&err), ["worker"]);
    assert_eq!(component.close_cause(), Some(CloseCause::Asked));
    tokio::task::yield_now().await;
    assert!(!app.is_closing(), "an ordinary close took the app down");
    let err = within(app.close()).await.unwrap_err();
    assert_eq!(listed(&err), ["component"], "the failure is still listed");
}

/// The race itself: 10,000 builds on two workers, the field's `#[run]`
/// failing at once while the struct adopts it (before or after): the
/// struct is closed by the failure every time.
#[test]
fn a_field_failing_while_the_struct_adopts_it_always_closes_the_struct() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        within(async {
            for run in 0..10_000 {
                let app = Frontend {
                    http: Http {}.start(),
                    cache: Process::new().named("cache"),
                }
                .start();
                let err = app.process().err().await.unwrap_err();
                assert_eq!(listed(&err), ["http"], "run {run}: {err}");
            }
        })
        .await;
    });
}
