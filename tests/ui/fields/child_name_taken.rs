use goprocess::{process, Process};

#[process]
struct App {
    #[child(name = "db")]
    http: Process,
    #[child]
    db: Process,
}

fn main() {}
