use goprocess::{process, teardown};

#[process]
struct Db {}

impl Db {
    #[teardown]
    fn close(self: Box<Self>) {}
}

fn main() {}
