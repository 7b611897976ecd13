use std::sync::Arc;

use goprocess::{process, teardown};

#[process]
struct Db {}

impl Db {
    #[teardown]
    fn close(self: Arc<Self>) {}
}

fn main() {}
