use goprocess::{process, teardown};

#[process]
struct Db {}

impl Db {
    #[teardown]
    fn flush(&self) {}

    #[teardown]
    fn close(&self) {}
}

fn main() {}
