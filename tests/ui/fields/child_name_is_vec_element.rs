use goprocess::{process, Process};

#[process]
struct Pool {
    #[child]
    w: Vec<Process>,
    #[child(name = "w[0]")]
    first: Process,
}

fn main() {}
