use goprocess::teardown;

#[teardown]
struct Db {}

fn main() {}
