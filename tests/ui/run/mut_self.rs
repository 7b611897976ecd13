use goprocess::{process, run};

#[process]
struct Http {}

impl Http {
    #[run]
    async fn serve(&mut self) {}
}

fn main() {}
