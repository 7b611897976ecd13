use goprocess::{process, Process};

#[process]
struct App {
    #[child]
    http: Process,
    #[child(no_wait)]
    #[wait_for(http)]
    metrics: Process,
}

fn main() {}
