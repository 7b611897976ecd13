//! Lifecycle events (`Process::on_event`): their exact order and content
//! for closes, failures, budget overruns, propagation and restarts; who
//! receives them (the subscribed subtree, now and linked later, nothing
//! from before, nothing elsewhere); and that subscribers run outside every
//! lock of the crate.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Log, within};
use goprocess::events::Event;
use goprocess::supervise::{Restart, Strategy, Supervisor};
use goprocess::{ErrorKind, OnFailure, Process};

/// One line per event: what, which process, and the detail that matters.
fn line(event: &Event) -> String {
    let result = |r: &Result<(), goprocess::Error>| match r {
        Ok(()) => "ok".to_string(),
        Err(e) => format!("{:?}", e.kind()),
    };
    match event {
        Event::Closing { process, cause } => format!("closing {process}: {cause}"),
        Event::Failed { process, error } => format!("failed {process}: {:?}", error.kind()),
        Event::Closed { process, result: r } => format!("closed {process}: {}", result(r)),
        Event::BudgetRanOut { process, error } => {
            format!("budget ran out {process}: {:?}", error.kind())
        }
        Event::Restarted {
            supervisor,
            child,
            result: r,
            restarts,
        } => format!("restarted {supervisor}/{child} #{restarts}: {}", result(r)),
        Event::GaveUp { supervisor, error } => {
            format!("gave up {supervisor}: {:?}", error.kind())
        }
        other => format!("{other:?}"),
    }
}

/// Subscribes to `p`'s events, as lines.
fn record(p: &Process) -> Log {
    let log = Log::new();
    let l = log.clone();
    p.on_event(move |e| l.push(line(e)));
    log
}

#[tokio::test]
async fn a_close_sends_closing_then_closed_children_first() {
    let app = Process::new().named("app");
    let db = Process::with_parent(&app).named("db");
    let cache = Process::with_parent(&app).named("cache");
    cache.wait_for(&db).unwrap();
    let log = record(&app);
    within(app.close()).await.unwrap();
    let events = log.events();
    assert_eq!(events[0], "closing app: asked to close");
    assert_eq!(events.len(), 6, "{events:?}");
    // db closes before cache (cache waits for it), both before app.
    let pos = |e: &str| log.pos(e);
    assert!(pos("closing db: closed by its parent `app`") < pos("closed db: ok"));
    assert!(pos("closing cache: closed by its parent `app`") < pos("closed cache: ok"));
    assert!(pos("closed db: ok") < pos("closed cache: ok"));
    assert_eq!(events[5], "closed app: ok");
}

#[tokio::test]
async fn a_failure_is_failed_just_before_closed_and_only_for_its_own_failure() {
    let app = Process::new().named("app");
    let log = record(&app);
    let bad = app
        .child()
        .named("bad")
        .go(|_| async { Err::<(), _>("nope") });
    within(bad.closed()).await;
    let _ = within(app.close()).await;
    assert_eq!(
        log.events(),
        [
            "closing bad: its function failed",
            "failed bad: Function",
            "closed bad: Function",
            "closing app: asked to close",
            // Listing an isolated child's failure is no failure of its own.
            "closed app: Children",
        ]
    );
}

#[tokio::test]
async fn a_parent_closed_by_a_propagated_failure_has_failed_too() {
    let app = Process::new().named("app");
    let log = record(&app);
    app.child()
        .named("http")
        .on_failure(OnFailure::Propagate)
        .go(|_| async { Err::<(), _>("bind") });
    within(app.closed()).await;
    assert_eq!(
        log.events(),
        [
            "closing http: its function failed",
            "failed http: Function",
            "closed http: Function",
            "closing app: its child `http` failed",
            "failed app: Children",
            "closed app: Children",
        ]
    );
}

#[tokio::test]
async fn a_panic_and_a_teardown_error_are_failures() {
    let p = Process::with_teardown(|| Err("flush".into())).named("p");
    let log = record(&p);
    let _ = within(p.close()).await;
    assert_eq!(
        log.events(),
        [
            "closing p: asked to close",
            "failed p: Teardown",
            "closed p: Teardown"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_budget_overrun_is_reported_when_it_happens_then_the_failure() {
    let p = Process::new()
        .named("stuck")
        .close_timeout(Duration::from_secs(1));
    p.set_async_teardown(std::future::pending).unwrap();
    let log = record(&p);
    p.request_close();
    tokio::time::sleep(Duration::from_millis(999)).await;
    assert_eq!(log.events(), ["closing stuck: asked to close"]);
    within(p.closed()).await;
    assert_eq!(
        log.events(),
        [
            "closing stuck: asked to close",
            "budget ran out stuck: Timeout",
            "failed stuck: Timeout",
            "closed stuck: Timeout",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_restart_is_the_end_the_closes_it_takes_then_the_restarted_event() {
    let app = Process::new().named("app");
    let log = record(&app);
    let sup = Supervisor::new(&app, Strategy::OneForAll)
        .named("sup")
        .max_restarts(1, Duration::from_secs(5));
    sup.child("idle", Restart::Permanent, |me| async move {
        me.closing().await
    })
    .unwrap();
    sup.child("crash", Restart::Permanent, |_| async { Err::<(), _>("x") })
        .unwrap();
    within(sup.process().closed()).await;
    let _ = within(app.close()).await;
    assert_eq!(
        log.events(),
        [
            "closing crash: its function failed",
            "failed crash: Function",
            "closed crash: Function",
            "closing idle: its supervisor `sup` restarted it",
            "closed idle: ok",
            // Sent when the restart happens: once the others are closed.
            "restarted sup/crash #1: Function",
            // The second run of crash breaks the limit.
            "closing crash: its function failed",
            "failed crash: Function",
            "closed crash: Function",
            "gave up sup: RestartLimit",
            "closing sup: too many restarts",
            "closing idle: closed by its parent `sup`",
            "closed idle: ok",
            "failed sup: RestartLimit",
            "closed sup: RestartLimit",
            "closing app: asked to close",
            "closed app: Children",
        ]
    );
}

#[tokio::test]
async fn events_carry_the_process_id_and_the_same_error_close_returns() {
    let app = Process::new().named("app");
    type Seen = Arc<Mutex<Vec<(u64, Option<goprocess::Error>)>>>;
    let seen: Seen = Arc::default();
    let s = seen.clone();
    app.on_event(move |e| {
        if let Event::Closed { process, result } = e {
            s.lock().unwrap().push((process.id(), result.clone().err()));
        }
    });
    let err = within(app.close()).await;
    assert!(err.is_ok());
    assert_eq!(seen.lock().unwrap()[0].0, app.id());

    let p = Process::with_teardown(|| Err("x".into()));
    let s = seen.clone();
    p.on_event(move |e| {
        if let Event::Closed { process, result } = e {
            s.lock().unwrap().push((process.id(), result.clone().err()));
        }
    });
    let err = within(p.close()).await.unwrap_err();
    let seen = seen.lock().unwrap();
    assert_eq!(seen[1].0, p.id());
    let sent = seen[1].1.as_ref().unwrap();
    assert_eq!(sent.kind(), ErrorKind::Teardown);
    assert_eq!(sent.to_string(), err.to_string());
}

// ---- who receives them ----

#[tokio::test]
async fn processes_linked_later_inherit_the_subscriber() {
    let app = Process::new().named("app");
    let log = record(&app);
    let job = app.child().named("job").go(|_| async {});
    let later = Process::new().named("later");
    app.add_child(&later).unwrap();
    let grandchild = Process::with_parent(&later).named("grandchild");
    within(job.closed()).await;
    within(app.close()).await.unwrap();
    for name in ["job", "later", "grandchild", "app"] {
        log.pos(&format!("closed {name}: ok"));
    }
    assert!(grandchild.is_closed());
}

#[tokio::test]
async fn nothing_is_sent_from_before_the_subscription_or_from_elsewhere() {
    let app = Process::new().named("app");
    let early = Process::with_parent(&app).named("early");
    within(early.close()).await.unwrap();
    let other = Process::new().named("other");
    let child = Process::with_parent(&app).named("child");
    let below = record(&child);
    let log = record(&app);
    within(other.close()).await.unwrap();
    assert!(log.events().is_empty(), "{:?}", log.events());
    within(app.close()).await.unwrap();
    assert!(
        !log.events()
            .iter()
            .any(|e| e.contains("early") || e.contains("other"))
    );
    assert_eq!(
        below.events(),
        [
            "closing child: closed by its parent `app`",
            "closed child: ok"
        ],
        "a subscriber below sees nothing of its parents"
    );
}

#[tokio::test]
async fn nobody_subscribed_nothing_is_delivered() {
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let watched = Process::new().named("watched");
    let c = count.clone();
    watched.on_event(move |_| {
        c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    // A whole unwatched service: failures, propagation, a supervisor.
    let app = Process::new().named("app");
    app.child()
        .on_failure(OnFailure::Propagate)
        .go(|_| async { Err::<(), _>("x") });
    let sup = Supervisor::new(&app, Strategy::OneForOne);
    let _ = sup.child("w", Restart::Permanent, |_| async {});
    within(app.closed()).await;
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 0);
    within(watched.close()).await.unwrap();
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn each_subscriber_gets_each_event_once_in_a_dag() {
    let a = Process::new().named("a");
    let b = Process::new().named("b");
    let shared = Process::with_parent(&a).named("shared");
    b.add_child(&shared).unwrap();
    let (la, lb) = (record(&a), record(&b));
    let also = record(&a); // a second subscriber on the same process
    within(a.close()).await.unwrap();
    within(b.close()).await.unwrap();
    for log in [&la, &lb, &also] {
        let closed: Vec<String> = log
            .events()
            .into_iter()
            .filter(|e| e.starts_with("closed shared"))
            .collect();
        assert_eq!(closed, ["closed shared: ok"]);
    }
}

/// A subscriber may use the processes it hears about: it runs outside
/// every lock, so none of this deadlocks.
#[test]
fn subscribers_run_outside_every_lock() {
    let app = Process::new().named("app");
    let db = Process::with_parent(&app).named("db");
    db.set_teardown(|| Err("x".into())).unwrap();
    let seen = Log::new();
    let (s, a, d) = (seen.clone(), app.clone(), db.clone());
    app.on_event(move |e| {
        let snapshot = a.snapshot();
        let report = a.shutdown_report();
        s.push(format!(
            "{} ({} processes, {} open, db {:?})",
            line(e),
            snapshot.processes().len(),
            report.open().len(),
            d.close_cause().map(|c| c.to_string()),
        ));
        let _ = d.name();
        let _ = d.is_closed();
    });
    let result = common::within_blocking(move || app.close_blocking());
    assert!(result.is_err());
    let events = seen.events();
    assert_eq!(events.len(), 5, "{events:?}");
    assert!(
        events[0].starts_with("closing app: asked to close"),
        "{events:?}"
    );
}
