use goprocess::{process, Process};

#[process]
struct App {
    #[child(no_wait = true)]
    metrics: Process,
}

fn main() {}
