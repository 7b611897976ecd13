use goprocess::{process, teardown};

trait Lifecycle {
    fn stop(&self);
}

#[process]
struct Db {}

impl Lifecycle for Db {
    #[teardown]
    fn stop(&self) {}
}

fn main() {}
