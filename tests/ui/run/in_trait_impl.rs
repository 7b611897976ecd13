use goprocess::{process, run};

trait Service {
    async fn serve(&self);
}

#[process]
struct Http {}

impl Service for Http {
    #[run]
    async fn serve(&self) {}
}

fn main() {}
