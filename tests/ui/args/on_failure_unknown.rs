use goprocess::process;

#[process(on_failure = "restart")]
struct App {}

fn main() {}
