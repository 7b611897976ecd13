use std::rc::Rc;

use goprocess::{process, teardown};

#[process]
struct Db {}

impl Db {
    #[teardown]
    async fn close(&self) {
        let local = Rc::new(1);
        std::future::ready(()).await;
        drop(local);
    }
}

fn main() {}
