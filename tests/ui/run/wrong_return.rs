use goprocess::{process, run};

#[process]
struct Http {}

impl Http {
    #[run]
    async fn serve(&self) -> u16 {
        80
    }
}

fn main() {}
