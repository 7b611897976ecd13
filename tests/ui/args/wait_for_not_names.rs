use goprocess::{process, Process};

#[process]
struct App {
    #[child]
    http: Process,
    #[child]
    #[wait_for("http")]
    db: Process,
}

fn main() {}
