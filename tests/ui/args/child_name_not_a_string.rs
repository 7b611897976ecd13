use goprocess::{process, Process};

#[process]
struct App {
    #[child(name = frontend)]
    http: Process,
}

fn main() {}
