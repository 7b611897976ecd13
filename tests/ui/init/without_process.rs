use goprocess::init;

struct Db {}

impl Db {
    #[init]
    async fn connect(&self) {}
}

fn main() {}
