use goprocess::{init, process};

#[process]
struct Db {}

impl Db {
    #[init]
    fn connect(&self) {}
}

fn main() {}
