// `#[run]` with and without the process argument, next to a `#[teardown]`;
// a renamed child.
use goprocess::{process, run, teardown, Process};

#[process(on_failure = "propagate")]
pub struct Http {
    listener: std::net::TcpListener,
    #[child(name = "connections")]
    conns: Process,
}

impl Http {
    #[run]
    async fn serve(&self, me: Process) -> Result<(), std::io::Error> {
        me.closing().await;
        Ok(())
    }

    #[teardown]
    fn close(&self) {}
}

#[process]
struct Ticker {}

impl Ticker {
    #[run]
    pub(crate) async fn tick(&self) {}
}
