//! Introspection: the snapshot's text tree, DOT and Mermaid exports, and
//! the shutdown timeline. On a paused clock, so ages and times are exact.

mod common;

use std::time::Duration;

use common::within;
use goprocess::introspect::{ProcessState, Timeline, TimelineEventKind};
use goprocess::{EdgeKind, Process};

/// app ─ http (go) ─ conn (go)
///     ─ db, which waits for http
///     ─ metrics (no wait)
async fn service() -> (Process, Process, Process) {
    let app = Process::new().named("app");
    let http = app.go(|me| async move { me.closing().await }).named("http");
    http.go(|me| async move { me.closing().await })
        .named("conn");
    let db = Process::with_parent(&app).named("db");
    db.wait_for(&http).unwrap();
    app.add_child_no_wait(&Process::new().named("metrics"));
    tokio::time::sleep(Duration::from_secs(3)).await;
    (app, http, db)
}

#[tokio::test(start_paused = true)]
async fn the_text_tree_shows_names_states_edges_and_ages() {
    let (app, _http, _db) = service().await;
    let text = app.snapshot().to_string();
    assert_eq!(
        text,
        "app [running, age 3.0s]\n\
         ├── http [running, age 3.0s, function running]\n\
         │   └── conn [running, age 3.0s, function running]\n\
         ├── db [running, age 3.0s]\n\
         │   └╌╌ waits for http\n\
         └── metrics (no wait) [running, age 3.0s]\n"
    );
    within(app.close()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn ages_count_from_the_name_and_anonymous_processes_have_none() {
    let app = Process::new().named("app");
    let anonymous = app.go(|me| async move { me.closing().await });
    tokio::time::sleep(Duration::from_secs(2)).await;
    let job = app
        .child()
        .named("job")
        .go(|me| async move { me.closing().await });
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Named a second time: the age still counts from the first name.
    let job = job.named("job 1");

    let snapshot = app.snapshot();
    let age = |id: u64| snapshot.get(id).expect("in the snapshot").age();
    assert_eq!(age(app.id()), Some(Duration::from_secs(3)));
    assert_eq!(age(job.id()), Some(Duration::from_secs(1)));
    assert_eq!(age(anonymous.id()), None);
    let text = snapshot.to_string();
    assert!(
        text.contains(&format!("#{} [running, function running]", anonymous.id())),
        "{text}"
    );
    assert!(
        text.contains("job 1 [running, age 1.0s, function running]"),
        "{text}"
    );
    within(app.close()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_snapshot_sees_closing_processes_and_shared_children() {
    let (app, http, db) = service().await;
    // A second parent for db: shown once, then referred to.
    let other = Process::new().named("other");
    other.add_child(&db).unwrap();
    app.add_child(&other).unwrap();

    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    db.set_async_teardown(move || async move {
        let _ = rx.await;
        Ok(())
    })
    .unwrap();
    let closing = tokio::spawn(app.close());
    within(http.closed()).await;
    tokio::time::sleep(Duration::from_millis(250)).await;

    let snap = app.snapshot();
    assert_eq!(snap.get(app.id()).unwrap().state(), ProcessState::Closing);
    assert_eq!(
        snap.get(db.id()).unwrap().detail(),
        "closing: running teardown"
    );
    assert_eq!(
        snap.get(db.id()).unwrap().closing_for(),
        Some(Duration::from_millis(250))
    );
    assert!(
        snap.get(http.id()).is_none(),
        "closed children have left the graph"
    );
    let text = snap.to_string();
    assert!(
        text.contains("└── other [closing for 250.0ms: closed by its parent `app`, age 250.0ms]"),
        "{text}"
    );
    assert!(text.contains("    └── db [shown above]"), "{text}");
    assert_eq!(snap.counts(), (0, 3, 0), "app, db, other closing: {text}");
    assert!(
        !text.contains("metrics"),
        "a closed no-wait child has left: {text}"
    );

    tx.send(()).unwrap();
    within(closing).await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn dot_and_mermaid_exports_carry_every_edge_kind() {
    let (app, http, db) = service().await;
    let snap = app.snapshot();
    let child = snap.get(app.id()).unwrap().edges()[0];
    assert_eq!(child, (EdgeKind::Child, http.id()));

    let dot = snap.to_dot();
    assert!(dot.starts_with("digraph goprocess {\n"));
    assert!(dot.contains(&format!("p{} -> p{};", app.id(), http.id())));
    assert!(dot.contains(&format!(
        "p{} -> p{} [style=dotted, label=\"waits for\"];",
        db.id(),
        http.id()
    )));
    assert!(dot.contains("[style=dashed, label=\"no wait\"]"));
    assert!(dot.ends_with("}\n"));

    let mermaid = snap.to_mermaid();
    assert!(mermaid.starts_with("flowchart TD\n"));
    assert!(mermaid.contains(&format!("p{}[\"app<br/>running\"]", app.id())));
    assert!(mermaid.contains(&format!("p{} == waits for ==> p{}", db.id(), http.id())));
    assert!(mermaid.contains("-. no wait .->"));
    within(app.close()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_timeline_records_the_shutdown_in_order() {
    let (app, _http, db) = service().await;
    db.set_async_teardown(|| async {
        tokio::time::sleep(Duration::from_millis(40)).await;
        Ok(())
    })
    .unwrap();
    let timeline = Timeline::new();
    timeline.attach(&app);
    // Processes linked after attach are recorded too.
    let late = app.go(|me| async move {
        me.closing().await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    });
    let late = late.named("late");

    tokio::time::sleep(Duration::from_millis(5)).await;
    within(app.close()).await.unwrap();

    let rows = timeline.rows();
    let names: Vec<&str> = rows.iter().map(|r| r.name()).collect();
    // conn before http; late after 10ms; db (waits for http) after its 40ms teardown; app last.
    assert_eq!(names.last(), Some(&"app"));
    let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
    assert!(pos("conn") < pos("http"));
    assert!(pos("http") < pos("late"));
    assert!(pos("late") < pos("db"));
    let db_row = &rows[pos("db")];
    assert_eq!(db_row.closing_at(), Some(Duration::from_millis(5)));
    assert_eq!(db_row.teardown_took(), Some(Duration::from_millis(40)));
    assert_eq!(db_row.took(), Some(Duration::from_millis(40)));
    assert_eq!(rows[pos("late")].took(), Some(Duration::from_millis(10)));
    assert!(late.is_closed());

    let closed_events = timeline
        .events()
        .iter()
        .filter(|e| matches!(e.kind(), TimelineEventKind::Closed { failed: false }))
        .count();
    assert_eq!(closed_events, rows.len());

    let text = timeline.to_string();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "process  closing at   teardown   closed at       took"
    );
    assert!(
        text.contains("db           +5.0ms     40.0ms     +45.0ms     40.0ms"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_process_reached_only_through_wait_edges_is_drawn_in_full() {
    let app = Process::new().named("app");
    let journal = Process::new().named("journal");
    Process::with_parent(&journal).named("segment");
    app.wait_for(&journal).unwrap();
    let db = Process::with_parent(&app).named("db");
    db.wait_for(&journal).unwrap();
    assert_eq!(
        app.snapshot().to_string(),
        "app [running, age 0.0ns]\n\
         ├── journal (waited for) [running, age 0.0ns]\n\
         │   └── segment [running, age 0.0ns]\n\
         └── db [running, age 0.0ns]\n    \
             └╌╌ waits for journal\n"
    );
    within(journal.close()).await.unwrap();
    within(app.close()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_timeline_row_takes_the_latest_name() {
    let app = Process::new();
    let timeline = Timeline::new();
    timeline.attach(&app);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    app.set_async_teardown(move || async move {
        let _ = rx.await;
        Ok(())
    })
    .unwrap();
    let closing = tokio::spawn(app.close());
    within(app.closing()).await;
    let _app = app.named("renamed");
    tx.send(()).unwrap();
    within(closing).await.unwrap().unwrap();
    assert_eq!(timeline.rows()[0].name(), "renamed");
}

/// The chart is the table with a bar per process on one time scale: a
/// failed process keeps its mark (app: its child failed), one still closing
/// gets a light bar to the end; without bars it is the table.
#[tokio::test(start_paused = true)]
async fn the_timeline_chart_draws_a_bar_per_process() {
    let app = Process::new().named("app");
    let slow = Process::with_parent(&app).named("slow");
    slow.set_async_teardown(|| async {
        tokio::time::sleep(Duration::from_millis(40)).await;
        Ok(())
    })
    .unwrap();
    let failing = Process::with_parent(&app).named("failing");
    failing
        .set_async_teardown(|| async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Err("disk full".into())
        })
        .unwrap();
    let stuck = Process::new().named("stuck");
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    stuck
        .set_async_teardown(move || async move {
            let _ = released.await;
            Ok(())
        })
        .unwrap();
    app.add_child_no_wait(&stuck);
    let timeline = Timeline::new();
    timeline.attach(&app);
    within(app.close()).await.unwrap_err();

    assert_eq!(
        timeline.chart().width(4).to_string(),
        "process  closing at   teardown   closed at       took\n\
         failing      +0.0ms     20.0ms     +20.0ms     20.0ms  ██  (failed)\n\
         slow         +0.0ms     40.0ms     +40.0ms     40.0ms  ████\n\
         app          +0.0ms          -     +40.0ms     40.0ms  ████  (failed)\n\
         stuck        +0.0ms          -           -          -  ░░░░\n"
    );
    assert_eq!(timeline.chart().width(0).to_string(), timeline.to_string());
    release.send(()).unwrap();
    within(stuck.closed()).await;
}

/// Folded rows become one row, drawn where the last of them closed.
#[tokio::test(start_paused = true)]
async fn the_timeline_chart_folds_rows_by_prefix() {
    let app = Process::new().named("app");
    for (i, ms) in [(1, 10), (2, 30)] {
        app.go(move |_| tokio::time::sleep(Duration::from_millis(ms)))
            .named(format!("job {i}"));
    }
    let db = Process::with_parent(&app).named("db");
    db.set_async_teardown(|| async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Ok(())
    })
    .unwrap();
    let timeline = Timeline::new();
    timeline.attach(&app);
    within(app.close()).await.unwrap();

    let chart = timeline.chart().fold("job ").width(3).to_string();
    assert_eq!(
        chart,
        "process  closing at   teardown   closed at       took\n\
         db           +0.0ms     20.0ms     +20.0ms     20.0ms  ██\n\
         job ×2       +0.0ms          -     +30.0ms     30.0ms  ███\n\
         app          +0.0ms          -     +30.0ms     30.0ms  ███\n",
    );
}
