use goprocess::{process, Process};

#[process]
struct App {
    #[child(nowait)]
    metrics: Process,
}

fn main() {}
