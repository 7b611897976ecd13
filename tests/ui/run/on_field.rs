use goprocess::{process, run, Process};

#[process]
struct Http {
    #[run]
    conns: Process,
}

fn main() {}
