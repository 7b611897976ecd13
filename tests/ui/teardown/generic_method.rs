use goprocess::{process, teardown};

#[process]
struct Db {}

impl Db {
    #[teardown]
    fn close<T: Default>(&self) {}
}

fn main() {}
