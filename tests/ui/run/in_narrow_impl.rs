use goprocess::{process, run};

#[process]
struct Pool<T: Send + Sync + 'static> {
    items: Vec<T>,
}

impl Pool<u32> {
    #[run]
    async fn work(&self) {}
}

fn main() {}
