use goprocess::{process, Process};

#[process]
struct App {
    #[child]
    #[child(no_wait)]
    http: Process,
}

fn main() {}
