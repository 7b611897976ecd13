use goprocess::{process, Process};

// Two independent cycles, both reported; `api` waits for a cycle without
// being part of one, so it is not blamed.
#[process]
struct App {
    #[child]
    #[wait_for(b)]
    a: Process,
    #[child]
    #[wait_for(c)]
    b: Process,
    #[child]
    #[wait_for(a)]
    c: Process,
    #[child]
    #[wait_for(a)]
    api: Process,
    #[child]
    #[wait_for(y)]
    x: Process,
    #[child]
    #[wait_for(x)]
    y: Process,
}

fn main() {}
