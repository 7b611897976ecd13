use goprocess::{process, Process};

#[process]
struct App {
    #[child(name = "the \"front\" end")]
    http: Process,
}

fn main() {}
