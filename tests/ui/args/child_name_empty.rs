use goprocess::{process, Process};

#[process]
struct App {
    #[child(name = "")]
    http: Process,
}

fn main() {}
