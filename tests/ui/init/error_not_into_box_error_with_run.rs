use goprocess::{init, process, run};

#[process]
struct Db {}

impl Db {
    #[init]
    async fn connect(&self) -> Result<u32, u16> {
        Err(5432)
    }

    #[run]
    async fn serve(&self, pool: u32) {
        let _ = pool;
    }
}

fn main() {}
