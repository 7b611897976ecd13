use goprocess::{process, Process};

#[process]
struct App {
    #[child(name = "http/frontend")]
    http: Process,
}

fn main() {}
