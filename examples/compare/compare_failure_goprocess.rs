//! The nested-failure case of docs/comparison.md, with goprocess.
//!
//! tokio-graceful-shutdown's example 08 (a subsystem that panics under
//! another), with a sibling branch: `app` runs `subsys1`, which started
//! `subsys2`, and `sibling`. `subsys2` panics after 500 ms; `subsys1` and
//! `sibling` each take 500 ms to drain once asked to stop. With
//! `children_on_failure(OnFailure::Propagate)` on the app, the whole
//! service fails as one, and the panic asks every part to stop as soon as
//! it is known: the sibling starts draining at once, not once `subsys1`
//! has drained. The program prints when each part was asked to stop and
//! when it was done, then the error `Shutdown::run` returned.
//!
//! Run with `cargo run --example compare_failure_goprocess`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use goprocess::signal::Shutdown;
use goprocess::{OnFailure, Process};
use tokio::time::sleep;

/// A branch that serves until asked to stop, then drains for 500 ms.
async fn branch(name: &str, me: Process, start: Instant) {
    me.closing().await;
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
    let app = Process::new()
        .named("app")
        .children_on_failure(OnFailure::Propagate);
    app.child().named("subsys1").go(move |me| async move {
        me.child().named("subsys2").go(move |_| async move {
            sleep(Duration::from_millis(500)).await;
            println!("subsys2: panics at {}", since(start));
            panic!("subsys2 panicked");
        });
        branch("subsys1", me, start).await;
    });
    app.child()
        .named("sibling")
        .go(move |me| branch("sibling", me, start));

    let result = Shutdown::new()
        .grace(Duration::from_secs(1))
        .run(&app)
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
