use goprocess::{process, Process};

#[process]
struct App {
    #[child]
    http: Process,
    #[child]
    #[wait_for(htpp)]
    db: Process,
    #[child]
    #[wait_for(queue)]
    cache: Process,
}

fn main() {}
