use goprocess::{process, teardown};

struct NotAnError;

#[process]
struct Db {}

impl Db {
    #[teardown]
    fn close(&self) -> Result<(), NotAnError> {
        Ok(())
    }
}

fn main() {}
