use goprocess::{init, process, run, Process};

struct Listener;

#[process]
struct Http {}

impl Http {
    #[init]
    async fn bind(&self) -> std::io::Result<Listener> {
        Ok(Listener)
    }

    #[run]
    async fn serve(&self, me: Process) {
        me.closing().await;
    }
}

fn main() {}
