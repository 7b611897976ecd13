use goprocess::{process, run};

#[process]
struct Http {}

impl Http {
    #[run]
    async fn serve(&self) {}

    #[run]
    async fn accept(&self) {}
}

fn main() {}
