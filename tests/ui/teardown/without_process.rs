use goprocess::teardown;

struct Db {}

impl Db {
    #[teardown]
    fn close(&self) {}
}

fn main() {}
