use goprocess::{process, Process};

#[process]
struct App {
    #[wait_for]
    journal: Process,
    #[child]
    #[wait_for(journal)]
    db: Process,
}

fn main() {}
