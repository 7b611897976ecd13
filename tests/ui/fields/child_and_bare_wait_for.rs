use goprocess::{process, Process};

#[process]
struct App {
    #[child]
    #[wait_for]
    http: Process,
}

fn main() {}
