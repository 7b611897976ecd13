// `#[teardown]` on a sync and an async method; a struct without teardown.
use goprocess::{process, teardown, Process};

#[process]
struct Db {
    pool: Pool,
}

impl Db {
    #[teardown]
    async fn close_pool(&self) -> Result<(), sqlx::Error> {
        self.pool.close().await;
        Ok(())
    }
}

#[process]
struct Cache {
    #[child]
    flusher: Process,
}

impl Cache {
    /// Still a normal method.
    #[teardown]
    pub fn flush(&self) {}
}

#[process]
struct Stateless {}
