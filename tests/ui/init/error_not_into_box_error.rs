use goprocess::{init, process};

#[process]
struct Db {}

impl Db {
    #[init]
    async fn connect(&self) -> Result<(), u16> {
        Err(5432)
    }
}

fn main() {}
