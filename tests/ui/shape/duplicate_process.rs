use goprocess::{process, Process};

#[process]
#[process]
struct App {
    #[child]
    http: Process,
}

fn main() {}
