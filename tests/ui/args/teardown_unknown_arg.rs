use goprocess::{process, teardown};

#[process]
struct Db {}

impl Db {
    #[teardown(timeout = 5)]
    fn close(&self) {}
}

fn main() {}
