use goprocess_facade::goprocess::{self as gp, Process};

#[gp::process]
struct Service {
    #[child]
    http: Process,
}

impl Service {
    #[gp::teardown]
    fn close(&self) {}
}

fn main() {}
