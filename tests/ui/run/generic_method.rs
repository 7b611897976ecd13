use goprocess::{process, run};

#[process]
struct Http {}

impl Http {
    #[run]
    async fn serve<T: Default>(&self) {}
}

fn main() {}
