use goprocess::{process, Process};

#[process(close_timeout = "0ms")]
struct App {
    #[child]
    http: Process,
}

fn main() {}
