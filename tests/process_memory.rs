//! Flat memory: a long-lived parent that spawns a million short-lived `go`
//! children keeps its edge sets empty and its RSS flat. Alone in its own
//! test binary so no other test moves the RSS.

mod common;

use common::within;
use goprocess::Process;

fn rss_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_short_lived_children_leave_no_trace() {
    const BATCH: usize = 1_000;
    const TOTAL: usize = 1_000_000;
    let parent = Process::new().named("server");
    let mut baseline = None;
    let mut batch = Vec::with_capacity(BATCH);
    for i in 0..TOTAL / BATCH {
        for _ in 0..BATCH {
            batch.push(parent.go(|_| async {}));
        }
        for c in batch.drain(..) {
            within(c.closed()).await;
        }
        assert_eq!(
            common::edge_counts(&parent),
            (0, 0),
            "after {} children",
            (i + 1) * BATCH
        );
        if i == 100 {
            baseline = rss_bytes();
        }
    }
    if let (Some(before), Some(after)) = (baseline, rss_bytes()) {
        let growth = after.saturating_sub(before);
        assert!(
            growth < 16 << 20,
            "RSS grew by {growth} bytes over 900,000 children (from {before} to {after})"
        );
    }
    within(parent.close()).await.unwrap();
}
