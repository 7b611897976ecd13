use goprocess::{process, Process};

#[process(name = "App", crate = "goprocess")]
struct App {
    #[child]
    http: Process,
}

fn main() {}
