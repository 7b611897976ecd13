//! Periodic work under a process tree: a fixed-rate "metrics" tick and a
//! "cache sweep" that waits a full interval after each run, both children
//! of the app; closing the app lets the sweep in flight finish first.
//!
//! Run with `cargo run --example periodic`.

use std::time::Duration;

use goprocess::Process;
use goprocess::periodic::{Builder, MissedTickBehavior};
use tokio::time::Instant;

#[tokio::main]
async fn main() -> Result<(), goprocess::Error> {
    let start = Instant::now();
    let app = Process::new().named("app");
    let periodic = Builder::new()
        .parent(&app)
        .missed_tick_behavior(MissedTickBehavior::Skip); // Go's ticker (the default)

    // Every 100 ms on the dot.
    let mut n = 0;
    periodic.tick(Duration::from_millis(100), move |_run| {
        n += 1;
        let at = start.elapsed().as_millis();
        async move { println!("{at:>4} ms  metrics #{n}") }
    });

    // 250 ms after the previous sweep ended; a sweep takes 80 ms.
    periodic.every(Duration::from_millis(250), move |run: Process| async move {
        println!("{:>4} ms  sweep started", start.elapsed().as_millis());
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(80)) => {}
            _ = run.closing() => println!("         sweep asked to stop early"),
        }
        println!("{:>4} ms  sweep done", start.elapsed().as_millis());
    });

    tokio::time::sleep(Duration::from_millis(700)).await;
    println!("{:>4} ms  closing the app", start.elapsed().as_millis());
    app.close().await?; // waits for runs in flight
    println!("{:>4} ms  closed", start.elapsed().as_millis());
    Ok(())
}
