//! Ages and closing times follow tokio's clock, which a paused test can
//! move as far as it likes: past the 584 years that fit in u64
//! nanoseconds, stamps stop counting instead of overflowing.

mod common;

use std::time::Duration;

use common::within;
use goprocess::Process;
use goprocess::introspect::Timeline;

const YEAR: Duration = Duration::from_secs(365 * 24 * 60 * 60);

#[tokio::test(start_paused = true)]
async fn a_clock_moved_600_years_on_breaks_no_view() {
    let app = Process::new().named("app");
    let timeline = Timeline::new();
    timeline.attach(&app);
    tokio::time::advance(YEAR * 600).await;
    let db = Process::with_parent(&app).named("db");
    let snapshot = app.snapshot();
    assert!(snapshot.get(app.id()).unwrap().age().unwrap() >= YEAR * 580);
    assert_eq!(snapshot.get(db.id()).unwrap().age(), Some(Duration::ZERO));
    let _ = snapshot.to_string();
    let closing = tokio::spawn(app.close());
    tokio::time::advance(YEAR).await;
    within(closing).await.unwrap().unwrap();
    let _ = (timeline.to_string(), timeline.chart().to_string());
    assert_eq!(timeline.rows().len(), 2);
}
