use goprocess::{process, run, Process};

#[process]
struct Http {}

impl Http {
    #[run]
    async fn serve(me: Process) {
        me.closing().await;
    }
}

fn main() {}
