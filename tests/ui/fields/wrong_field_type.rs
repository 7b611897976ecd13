use goprocess::{process, Process};

#[process]
struct App {
    #[child]
    http: Process,
    #[child]
    name: String,
    #[wait_for]
    workers: Vec<u32>,
}

fn main() {}
