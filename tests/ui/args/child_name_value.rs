use goprocess::{process, Process};

#[process]
struct App {
    #[child = "no_wait"]
    metrics: Process,
}

fn main() {}
