use goprocess::{process, Process};

#[process]
struct App {
    #[init]
    #[child]
    db: Process,
}

fn main() {}
