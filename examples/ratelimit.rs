//! At most three downloads at once: `limited_go` waits for a free slot,
//! and a slot comes back when a download (and anything it started) has
//! closed. Closing the limiter refuses the callers still waiting.
//!
//! Run with `cargo run --example ratelimit`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use goprocess::ratelimit::RateLimiter;
use goprocess::{ErrorKind, Process};

#[tokio::main]
async fn main() -> Result<(), goprocess::Error> {
    let app = Process::new().named("app");
    let downloads = RateLimiter::new(&app, 3).named("downloads");
    let alive = Arc::new(AtomicUsize::new(0));

    for file in 0..8 {
        let alive = alive.clone();
        downloads
            .limited_go(move |me: Process| async move {
                let now = alive.fetch_add(1, Ordering::SeqCst) + 1;
                println!("file {file}: downloading ({now} at once)");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                    _ = me.closing() => println!("file {file}: cancelled"),
                }
                alive.fetch_sub(1, Ordering::SeqCst);
            })
            .await; // waits here while three are running
    }

    // Fill the slots again, then close while a caller is still waiting.
    for _ in 0..3 {
        downloads
            .limited_go(|me| async move { me.closing().await })
            .await;
    }
    let waiting = tokio::spawn({
        let downloads = downloads.clone();
        async move { downloads.limited_go(|_| async {}).await }
    });
    tokio::task::yield_now().await;
    app.close().await?;
    let refused = waiting.await.expect("the waiting task");
    let err = refused.err().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ParentClosed);
    println!("closed; the caller still waiting was refused: {err}");
    Ok(())
}
