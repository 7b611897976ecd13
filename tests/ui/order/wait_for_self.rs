use goprocess::{process, Process};

#[process]
struct App {
    #[child]
    #[wait_for(db)]
    db: Process,
}

fn main() {}
