use goprocess::process;

#[process(crate = "goprocess", crate = "::goprocess")]
struct App {}

fn main() {}
