use goprocess::{process, teardown};

#[process]
struct Db {}

impl Db {
    #[teardown(timeout = "2s")]
    fn flush(&self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {}
