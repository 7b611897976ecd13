use goprocess::{process, teardown};

// The same, with an impl narrowed by a bound: rustc's own message, at the
// struct, points at the bound that narrows it.
#[process]
struct Pool<T: Send + Sync + 'static> {
    items: Vec<T>,
}

impl<T: Clone + Send + Sync + 'static> Pool<T> {
    #[teardown]
    fn close(&self) {}
}

fn main() {}
