use goprocess::{process, teardown};

#[process]
struct Db {}

impl Db {
    #[teardown]
    #[teardown]
    fn close(&self) {}
}

fn main() {}
