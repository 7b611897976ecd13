// A struct that starts in its derived order: its `#[init]` binds a
// listener and hands it to its `#[run]`; its teardown keeps 300 ms of any
// close budget; a failure below it closes it.
use goprocess::{init, process, run, teardown, Process};
use tokio::net::TcpListener;

#[process(children_on_failure = "propagate")]
struct Http {
    addr: std::net::SocketAddr,
    #[child]
    conns: Process,
}

impl Http {
    #[init]
    async fn bind(&self) -> std::io::Result<TcpListener> {
        TcpListener::bind(self.addr).await
    }

    #[run]
    async fn serve(&self, me: Process, listener: TcpListener) -> std::io::Result<()> {
        drop(listener);
        me.closing().await;
        Ok(())
    }

    #[teardown(reserve = "300ms")]
    fn flush(&self) {}
}
