//! Timelines under load: events kept in the order of their times however
//! many threads record, a bounded size however long the program runs
//! (saying what was dropped), and a chart of any width requested.

mod common;

use std::time::Duration;

use common::within;
use goprocess::Process;
use goprocess::introspect::{Timeline, TimelineEventKind};
use goprocess::periodic::Builder;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_from_many_threads_are_in_the_order_of_their_times() {
    let mut out_of_order = 0;
    for _ in 0..100 {
        let app = Process::new().named("app");
        let timeline = Timeline::new();
        timeline.attach(&app);
        let children: Vec<Process> = (0..600)
            .map(|i| {
                app.go(|me| async move { me.closing().await })
                    .named(format!("c{i}"))
            })
            .collect();
        // Closed from several tasks at once: events recorded on both workers.
        let closers: Vec<_> = children
            .chunks(100)
            .map(|chunk| {
                let chunk = chunk.to_vec();
                tokio::spawn(async move {
                    for c in chunk {
                        c.close().await.unwrap();
                    }
                })
            })
            .collect();
        for closer in closers {
            within(closer).await.unwrap();
        }
        within(app.close()).await.unwrap();
        let events = timeline.events();
        out_of_order += events.windows(2).filter(|w| w[1].at() < w[0].at()).count();
    }
    assert_eq!(out_of_order, 0, "events out of the order of their times");
}

#[tokio::test(start_paused = true)]
async fn a_timeline_attached_at_startup_stays_bounded_under_a_1ms_tick() {
    let app = Process::new().named("app");
    let timeline = Timeline::with_capacity(1_000);
    timeline.attach(&app);
    let ticker = Builder::new()
        .parent(&app)
        .tick(Duration::from_millis(1), |_run| async {});
    let ticker = ticker.named("ticker");
    tokio::time::sleep(Duration::from_secs(10)).await; // 10,000 runs
    let events = timeline.events();
    assert!(events.len() <= 1_000, "{} events kept", events.len());
    let dropped = timeline.dropped();
    assert!(dropped.events >= 18_000, "{dropped:?}");
    assert!(dropped.processes >= 9_000, "{dropped:?}");
    // The most recent runs are the ones kept.
    let last = events.last().unwrap();
    assert!(last.at() >= Duration::from_millis(9_990), "{:?}", last.at());

    within(app.close()).await.unwrap();
    let rows = timeline.rows();
    let names: Vec<&str> = rows.iter().rev().take(2).map(|r| r.name()).collect();
    assert_eq!(names, ["app", "ticker"], "the shutdown is kept whole");
    assert!(rows.iter().all(|r| r.closed_at().is_some()));
    assert!(ticker.is_closed());
    let table = timeline.to_string();
    let last_line = table.lines().last().unwrap();
    assert!(
        last_line.starts_with('(')
            && last_line.contains("earlier events of")
            && last_line.ends_with("processes dropped: the timeline keeps 1000)"),
        "{last_line}"
    );
    assert_eq!(timeline.chart().to_string().lines().last(), Some(last_line));
}

#[tokio::test(start_paused = true)]
async fn a_full_timeline_drops_closed_processes_before_open_ones() {
    let app = Process::new().named("app");
    let slow = Process::with_parent(&app).named("slow");
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    slow.set_async_teardown(move || async move {
        let _ = released.await;
        Ok(())
    })
    .unwrap();
    for i in 0..100 {
        Process::with_parent(&app).named(format!("job {i}"));
    }
    let timeline = Timeline::with_capacity(16);
    timeline.attach(&app);
    let closing = tokio::spawn(app.close());
    within(slow.closing()).await;
    tokio::task::yield_now().await;
    release.send(()).unwrap();
    within(closing).await.unwrap().unwrap();

    let rows = timeline.rows();
    let row = |name: &str| rows.iter().find(|r| r.name() == name).unwrap();
    assert_eq!(
        row("app").closing_at(),
        Some(Duration::ZERO),
        "its first event kept"
    );
    assert!(row("slow").teardown_took().is_some());
    assert!(timeline.events().len() <= 16);
    assert!(timeline.dropped().processes >= 90);
    let kinds = timeline
        .events()
        .iter()
        .filter(|e| e.kind() == TimelineEventKind::Closing)
        .count();
    assert!(kinds >= 2);
}

#[tokio::test(start_paused = true)]
async fn a_chart_of_any_width_is_drawn() {
    let app = Process::new().named("app");
    Process::with_parent(&app).named("db");
    let timeline = Timeline::new();
    timeline.attach(&app);
    within(app.close()).await.unwrap();
    for width in [usize::MAX, 1 << 40, 5_000] {
        let chart = timeline.chart().width(width).to_string();
        assert!(chart.lines().all(|l| l.chars().count() < 1_200), "{width}");
    }
    assert_eq!(timeline.capacity(), 65_536);
    assert_eq!(Timeline::with_capacity(0).capacity(), 16);
}
