use goprocess::{process, Process};

#[process]
struct Pool<W: Send + Sync + 'static> {
    #[child]
    workers: Vec<W>,
    #[child]
    leader: Process,
}

fn main() {}
