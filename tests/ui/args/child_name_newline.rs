use goprocess::{process, Process};

#[process]
struct App {
    #[child(name = "http\nfrontend")]
    http: Process,
}

fn main() {}
