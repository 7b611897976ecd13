use goprocess::{process, teardown};

#[process]
struct Db {}

impl Db {
    #[teardown]
    async fn close(&self) -> Result<u64, std::io::Error> {
        Ok(0)
    }
}

fn main() {}
