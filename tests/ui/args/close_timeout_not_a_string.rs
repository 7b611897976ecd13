use goprocess::{process, Process};

#[process(close_timeout = 5)]
struct App {
    #[child]
    http: Process,
}

fn main() {}
