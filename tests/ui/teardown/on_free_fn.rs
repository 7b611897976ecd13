use goprocess::teardown;

#[teardown]
fn close() {}

fn main() {}
