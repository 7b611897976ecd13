use goprocess::{process, teardown};

#[process]
struct Db {}

impl Db {
    #[teardown]
    fn close(self) {}
}

fn main() {}
