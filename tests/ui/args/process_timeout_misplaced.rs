use goprocess::{process, Process};

#[process(timeout = "5s")]
struct App {
    #[child]
    http: Process,
}

fn main() {}
