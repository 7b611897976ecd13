use goprocess::{process, AsProcess};

// The user states the bounds a process needs; a missing one is reported at
// the struct, not at a later `.start()`.
#[process]
struct Pool<W: AsProcess> {
    #[child]
    workers: Vec<W>,
}

fn main() {}
