use goprocess::{init, process, run, Process};

#[process]
struct Http {}

impl Http {
    #[init]
    async fn bind(&self) -> u16 {
        8080
    }

    #[run]
    async fn serve(&self, me: Process, port: impl std::fmt::Display) {
        let _ = (me, port.to_string());
    }
}

fn main() {}
