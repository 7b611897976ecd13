//! Graceful shutdown on Ctrl-C or SIGTERM, with a second signal forcing
//! exit during a slow shutdown. Without a signal, the app closes itself
//! after five seconds.
//!
//! Run with `cargo run --example signals`, then press Ctrl-C (twice to
//! skip the slow shutdown).

use std::time::Duration;

use goprocess::signal::Shutdown;

#[tokio::main]
async fn main() -> Result<(), goprocess::Error> {
    let app = Shutdown::new()
        .force_exit_on_second(true)
        .start()
        .named("app");

    app.go(|me| async move {
        println!("worker: serving; press Ctrl-C to stop");
        me.closing().await;
        println!("worker: draining for 2 s (Ctrl-C again to exit at once)");
        tokio::time::sleep(Duration::from_secs(2)).await;
        println!("worker: drained");
    });

    tokio::select! {
        _ = app.closing() => println!("main: signal received"),
        _ = tokio::time::sleep(Duration::from_secs(5)) => {
            println!("main: no signal in 5 s, closing by hand");
        }
    }
    app.close().await?;
    println!("main: closed cleanly");
    Ok(())
}
