use goprocess::{init, process, Process};

#[process]
struct Db {}

impl Db {
    #[init]
    async fn connect(&self, me: Process, retries: u32) {
        let _ = (me, retries);
    }
}

fn main() {}
