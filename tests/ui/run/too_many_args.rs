use goprocess::{init, process, run, Process};

#[process]
struct Http {}

impl Http {
    #[init]
    async fn bind(&self) -> u16 {
        8080
    }

    #[run]
    async fn serve(&self, me: Process, port: u16, retries: u32) {
        let _ = (me, port, retries);
    }
}

fn main() {}
