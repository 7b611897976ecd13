use goprocess::{process, run, Process};

#[process]
struct Http {}

impl Http {
    #[run]
    async fn serve(&self, me: &Process) {
        me.closing().await;
    }
}

fn main() {}
