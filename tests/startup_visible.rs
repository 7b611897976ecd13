//! The starting phase is visible: snapshots and reports say who is not
//! ready, for how long, and what it waits for; timelines record each
//! part's start beside its close, and the chart draws both.

mod common;

use std::time::Duration;

use common::within;
use goprocess::Process;
use goprocess::introspect::{Timeline, TimelineEventKind};

#[tokio::test(start_paused = true)]
async fn snapshots_and_reports_show_who_is_not_ready_and_why() {
    let app = Process::new().named("app");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let db = app
        .child()
        .named("db")
        .signals_ready()
        .go(move |me| async move {
            let _ = rx.await;
            me.set_ready();
            me.closing().await;
        });
    tokio::time::sleep(Duration::from_secs(2)).await;
    let snapshot = app.snapshot();
    let text = snapshot.to_string();
    assert!(
        text.contains("db [running, not ready for 2.0s: waits for set_ready()"),
        "{text}"
    );
    assert!(text.contains("app [running, not ready for 2.0s"), "{text}");
    let info = snapshot.get(db.id()).unwrap();
    assert!(!info.is_ready());
    assert_eq!(info.not_ready_for(), Some(Duration::from_secs(2)));
    assert_eq!(info.ready_awaits(), Some("set_ready()"));
    let report = app.shutdown_report().to_string();
    assert!(
        report.contains("`app/db` (running, not ready for 2.0s; waits for set_ready()"),
        "{report}"
    );
    tx.send(()).unwrap();
    within(app.ready()).await.unwrap();
    let text = app.snapshot().to_string();
    assert!(!text.contains("not ready"), "{text}");
    within(app.close()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_timeline_records_each_parts_start_and_the_chart_draws_it() {
    let app = Process::new().named("app");
    let timeline = Timeline::new();
    timeline.attach(&app);
    let db = app.child().named("db").signals_ready().go(|me| async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        me.set_ready();
        me.closing().await;
    });
    within(app.ready()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    within(app.close()).await.unwrap();
    let kinds: Vec<TimelineEventKind> = timeline
        .events()
        .iter()
        .filter(|e| e.id() == db.id())
        .map(|e| e.kind())
        .collect();
    assert_eq!(
        &kinds[..2],
        [TimelineEventKind::Starting, TimelineEventKind::Ready]
    );
    let rows = timeline.rows();
    let row = rows.iter().find(|r| r.name() == "db").unwrap();
    assert_eq!(row.starting_at(), Some(Duration::ZERO));
    assert_eq!(row.ready_at(), Some(Duration::from_millis(100)));
    let chart = timeline.chart().width(20).to_string();
    assert!(
        chart.starts_with("process    ready at  closing at"),
        "{chart}"
    );
    let db_line = chart.lines().find(|l| l.starts_with("db")).unwrap();
    assert!(db_line.contains("+100.0ms"), "{chart}");
    // Its start (▒, the first 100 ms of 200), up, then its close (█).
    assert!(db_line.ends_with("  ▒▒▒▒▒▒▒▒▒▒         █"), "{chart}");
}
