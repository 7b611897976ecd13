use goprocess::process;

#[process]
fn app() {}

fn main() {}
