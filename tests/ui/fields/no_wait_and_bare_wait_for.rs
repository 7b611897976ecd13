use goprocess::{process, Process};

#[process]
struct App {
    #[child(no_wait)]
    #[wait_for]
    metrics: Process,
}

fn main() {}
