use goprocess::{process, run, AsProcess};

#[process]
struct Http {}

impl Http {
    #[run]
    async fn serve(&self, me: impl AsProcess + Send + Sync + 'static) {
        me.as_process().closing().await;
    }
}

fn main() {}
