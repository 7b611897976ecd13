use goprocess::process;

#[process(crate = "not a path")]
struct App {}

fn main() {}
