use goprocess::{process, teardown};

#[process]
struct Db {}

impl Db {
    #[teardown(reserve = "0ms")]
    fn flush(&self) {}
}

fn main() {}
