use std::time::Duration;

use goprocess::{process, teardown};

#[process]
struct Db {}

impl Db {
    #[teardown]
    fn close(&self, timeout: Duration) {
        let _ = timeout;
    }
}

fn main() {}
