use goprocess::{process, run, Process};

struct Listener;

#[process]
struct Http {}

impl Http {
    #[run]
    async fn serve(&self, me: Process, listener: Listener) {
        let _ = listener;
        me.closing().await;
    }
}

fn main() {}
