use goprocess::{init, process};

#[process]
struct Db {}

impl Db {
    #[init]
    async fn connect(&self) {}

    #[init]
    async fn migrate(&self) {}
}

fn main() {}
