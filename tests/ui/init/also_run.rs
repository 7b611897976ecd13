use goprocess::{init, process, run};

#[process]
struct Db {}

impl Db {
    #[init]
    #[run]
    async fn connect(&self) {}
}

fn main() {}
