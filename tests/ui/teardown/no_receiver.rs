use goprocess::{process, teardown};

#[process]
struct Db {}

impl Db {
    #[teardown]
    fn close() {}
}

fn main() {}
