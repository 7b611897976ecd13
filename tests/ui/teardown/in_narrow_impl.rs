use goprocess::{process, teardown};

// A teardown in an impl for one instantiation would never run: every
// `Pool<T>` is started by the same generic code.
#[process]
struct Pool<T: Send + Sync + 'static> {
    items: Vec<T>,
}

impl Pool<u32> {
    #[teardown]
    fn close(&self) {}
}

fn main() {}
