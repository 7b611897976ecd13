use goprocess::{process, Process};

#[process(close_timeout = "5s", escalation = "kill")]
struct App {
    #[child]
    http: Process,
}

fn main() {}
