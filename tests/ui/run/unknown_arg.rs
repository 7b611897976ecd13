use goprocess::{process, run};

#[process]
struct Http {}

impl Http {
    #[run(timeout = "5s")]
    async fn serve(&self) {}
}

fn main() {}
