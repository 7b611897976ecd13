use goprocess::{process, Process};

#[process]
struct App {
    #[child]
    #[wait_for(cache)]
    db: Process,
    #[child]
    #[wait_for(db)]
    cache: Process,
}

fn main() {}
