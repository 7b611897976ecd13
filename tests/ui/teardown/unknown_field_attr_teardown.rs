use goprocess::{process, teardown, Process};

#[process]
struct Db {
    #[teardown]
    pool: Process,
}

impl Db {
    #[teardown]
    fn close(&self) {}
}

fn main() {}
