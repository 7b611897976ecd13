use goprocess::{process, Process};

#[process(close_timeout = "5s", close_timeout = "10s")]
struct App {
    #[child]
    http: Process,
}

fn main() {}
