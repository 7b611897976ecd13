use std::rc::Rc;

use goprocess::{process, run};

#[process]
struct Http {}

impl Http {
    #[run]
    async fn serve(&self) {
        let local = Rc::new(1);
        std::future::ready(()).await;
        drop(local);
    }
}

fn main() {}
