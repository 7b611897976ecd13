use goprocess::process;

#[process(reserve = "300ms")]
struct Db {}

fn main() {}
