use goprocess::{process, Process};

#[process(close_timeout = "5 sex")]
struct App {
    #[child]
    http: Process,
}

fn main() {}
