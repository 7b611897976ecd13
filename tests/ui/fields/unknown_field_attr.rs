use goprocess::{process, Process};

#[process]
struct App {
    #[children]
    http: Process,
    #[waitfor]
    db: Process,
}

fn main() {}
