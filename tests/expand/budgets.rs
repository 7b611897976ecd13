// Close budgets: the struct's whole close gets 5 s, its tasks are left
// running (not aborted) past it, and its async teardown gets 2 s of its own.
use goprocess::{process, teardown, Process};

#[process(close_timeout = "5s", escalation = "detach")]
struct Db {
    #[child]
    pool: Process,
    #[wait_for]
    journal: Process,
    #[child(no_wait)]
    metrics: Process,
}

impl Db {
    #[teardown(timeout = "2s")]
    async fn flush(&self) -> std::io::Result<()> {
        Ok(())
    }
}
