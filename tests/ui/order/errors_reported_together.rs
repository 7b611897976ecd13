use goprocess::{process, Process, Start};

// Every mistake is reported in one go, and the stub impls keep uses of the
// type (`.start()`, `shutdown_plan()`) from adding errors.
#[process]
struct App {
    #[child(nowait)]
    metrics: Process,
    #[child]
    #[wait_for(dbb)]
    http: Process,
    #[child]
    #[wait_for(db)]
    db: Process,
}

fn main() {
    let app = App { metrics: Process::new(), http: Process::new(), db: Process::new() }.start();
    let _ = (app, App::shutdown_plan().stages());
}
