use goprocess::{process, teardown};

#[process]
struct Db {}

impl Db {
    #[teardown]
    unsafe fn close(&self) {}
}

fn main() {}
