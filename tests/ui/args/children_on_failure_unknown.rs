use goprocess::process;

#[process(children_on_failure = "escalate")]
struct App {}

fn main() {}
