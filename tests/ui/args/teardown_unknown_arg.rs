use goprocess::{process, teardown};

#[process]
struct Db {}

impl Db {
    #[teardown(close_timeout = "5s")]
    async fn close(&self) {}
}

fn main() {}
