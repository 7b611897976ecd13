use goprocess::{process, run};

#[process]
struct Http {}

impl Http {
    #[run]
    async fn serve(&self, addr: String) {
        let _ = addr;
    }
}

fn main() {}
