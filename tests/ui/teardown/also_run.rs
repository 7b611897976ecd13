use goprocess::{process, run, teardown};

#[process]
struct Db {}

impl Db {
    #[teardown]
    #[run]
    async fn close(&self) {}
}

fn main() {}
