use goprocess::process;

#[process]
struct Flusher;

fn main() {}
