//! The nested-failure case of docs/comparison.md, with
//! tokio-graceful-shutdown.
//!
//! Its example 08 (a subsystem that panics under another), with a sibling
//! branch: the top level runs `subsys1`, which started `subsys2`, and
//! `sibling`. `subsys2` panics after 500 ms; `subsys1` and `sibling` each
//! take 500 ms to drain once asked to stop. The panic is forwarded (the
//! default `ErrorAction::Forward`) to the `Toplevel`, which asks every
//! subsystem to stop. The program prints when each part was asked to stop
//! and when it was done, then the error `handle_shutdown_requests`
//! returned.
//!
//! Run with `cargo run --example compare_failure_tgs`.

use std::convert::Infallible;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use tokio::time::sleep;
use tokio_graceful_shutdown::{SubsystemBuilder, SubsystemHandle, Toplevel};

/// A branch that serves until asked to stop, then drains for 500 ms.
async fn branch(name: &str, s: &mut SubsystemHandle, start: Instant) {
    s.on_shutdown_requested().await;
    println!("{name}: asked to stop at {}", since(start));
    sleep(Duration::from_millis(500)).await;
    println!("{name}: drained at {}", since(start));
}

fn since(start: Instant) -> String {
    format!("+{:.3}s", start.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() -> ExitCode {
    let start = Instant::now();
    let result = Toplevel::new(async move |s: &mut SubsystemHandle| {
        s.start(SubsystemBuilder::new(
            "subsys1",
            async move |s: &mut SubsystemHandle| {
                s.start(SubsystemBuilder::new(
                    "subsys2",
                    async move |_: &mut SubsystemHandle| {
                        sleep(Duration::from_millis(500)).await;
                        println!("subsys2: panics at {}", since(start));
                        panic!("subsys2 panicked");
                        #[allow(unreachable_code)]
                        Ok::<(), Infallible>(())
                    },
                ));
                branch("subsys1", s, start).await;
                Ok::<(), Infallible>(())
            },
        ));
        s.start(SubsystemBuilder::new(
            "sibling",
            async move |s: &mut SubsystemHandle| {
                branch("sibling", s, start).await;
                Ok::<(), Infallible>(())
            },
        ));
    })
    .catch_signals()
    .handle_shutdown_requests(Duration::from_secs(1))
    .await;
    println!("closed at {}", since(start));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            println!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
