use goprocess::process;

#[process(crate = goprocess)]
struct App {}

fn main() {}
