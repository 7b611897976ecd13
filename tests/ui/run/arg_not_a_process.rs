use goprocess::{init, process, run};

#[process]
struct Http {}

impl Http {
    #[init]
    async fn bind(&self) -> u16 {
        8080
    }

    #[run]
    async fn serve(&self, addr: String, port: u16) {
        let _ = (addr, port);
    }
}

fn main() {}
