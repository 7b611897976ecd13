use goprocess::{init, process};

struct Pool;

#[process]
struct Db {}

impl Db {
    #[init]
    async fn connect(&self) -> Result<Pool, std::io::Error> {
        Ok(Pool)
    }
}

fn main() {}
