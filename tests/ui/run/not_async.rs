use goprocess::{process, run};

#[process]
struct Http {}

impl Http {
    #[run]
    fn serve(&self) {}
}

fn main() {}
