use goprocess::{process, teardown};

#[process]
struct Db {}

impl Db {
    #[teardown]
    fn flush(&self) {}
}

impl Db {
    #[teardown]
    async fn close(&self) {}
}

fn main() {}
