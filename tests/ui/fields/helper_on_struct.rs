use goprocess::{process, Process};

#[process]
#[child]
struct App {
    http: Process,
}

fn main() {}
