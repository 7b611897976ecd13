use goprocess::{init, process};

#[process]
struct Db {}

impl Db {
    #[init(timeout = "5s")]
    async fn connect(&self) {}
}

fn main() {}
