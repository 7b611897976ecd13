use goprocess::{process, Process};

#[process]
struct App {
    config: u32,
    #[child]
    #[wait_for(config)]
    db: Process,
}

fn main() {}
