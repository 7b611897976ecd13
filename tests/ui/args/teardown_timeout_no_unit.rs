use goprocess::{process, teardown};

#[process]
struct Db {}

impl Db {
    #[teardown(timeout = "2")]
    async fn close(&self) {}
}

fn main() {}
