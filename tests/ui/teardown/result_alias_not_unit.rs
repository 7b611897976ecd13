// An alias is fine when it is a `Result<(), E>`: the bound decides.
use goprocess::{process, teardown};

type Count = Result<u64, std::io::Error>;

#[process]
struct Db {}

impl Db {
    #[teardown]
    fn close(&self) -> Count {
        Ok(0)
    }
}

fn main() {}
