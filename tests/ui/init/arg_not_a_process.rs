use goprocess::{init, process};

#[process]
struct Db {}

impl Db {
    #[init]
    async fn connect(&self, url: String) {
        let _ = url;
    }
}

fn main() {}
