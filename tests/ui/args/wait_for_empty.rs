use goprocess::{process, Process};

#[process]
struct App {
    #[child]
    #[wait_for()]
    db: Process,
}

fn main() {}
