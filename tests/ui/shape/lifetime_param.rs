use goprocess::{process, Process};

#[process]
struct App<'a> {
    #[child]
    http: Process,
    name: &'a str,
}

fn main() {}
