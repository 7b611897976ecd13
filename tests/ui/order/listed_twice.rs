use goprocess::{process, Process};

#[process]
struct App {
    #[child]
    http: Process,
    #[child]
    #[wait_for(http, http)]
    db: Process,
}

fn main() {}
