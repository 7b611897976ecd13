use goprocess::{init, process};

#[process]
struct Db {}

impl Db {
    #[init]
    async fn connect(self) {}
}

fn main() {}
