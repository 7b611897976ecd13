// The budget knobs expand cleanly under strict lints, with user types named
// like the ones the expansion uses in scope.
#![deny(warnings, clippy::all, unused_qualifications)]

use goprocess::{process, teardown, Handle, Process, Start};

#[allow(dead_code)]
struct Option;
#[allow(dead_code)]
struct Duration;
#[allow(dead_code)]
enum Escalation {
    Abort,
}

#[process(close_timeout = "1500ms", escalation = "detach")]
struct Db {
    #[child]
    pool: Process,
}

impl Db {
    #[teardown(timeout = "2s")]
    async fn flush(&self) -> std::io::Result<()> {
        Ok(())
    }
}

#[process(crate = "goprocess", escalation = "abort", close_timeout = "1h")]
struct App {
    #[child]
    db: Handle<Db>,
}

fn main() {
    assert!(App::shutdown_plan().to_mermaid().starts_with("flowchart TD"));
    let _ = |pool: Process| App { db: Db { pool }.start() }.start();
}
