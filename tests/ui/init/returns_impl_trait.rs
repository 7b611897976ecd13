use goprocess::{init, process};

#[process]
struct Db {}

impl Db {
    #[init]
    async fn connect(&self) -> impl std::fmt::Display {
        "pool"
    }
}

fn main() {}
