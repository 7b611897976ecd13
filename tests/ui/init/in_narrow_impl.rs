use goprocess::{init, process};

#[process]
struct Pool<T: Send + Sync + 'static> {
    items: Vec<T>,
}

impl Pool<u32> {
    #[init]
    async fn fill(&self) {}
}

fn main() {}
