use goprocess::{process, run, Process};

#[process]
struct Http {}

impl Http {
    #[run]
    async fn serve(&self, me: Process, port: u16) {
        let _ = (me, port);
    }
}

fn main() {}
