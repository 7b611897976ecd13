use goprocess::{process, Process};

#[process]
struct App {
    #[child(no_wait)]
    metrics: Process,
    #[child]
    #[wait_for(metrics)]
    db: Process,
}

fn main() {}
