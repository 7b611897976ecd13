// The shapes `#[run]` accepts, next to a teardown in another module.
use goprocess::{process, run, teardown, Handle, Process, Start};

#[process]
struct WithProcess {}

impl WithProcess {
    #[run]
    async fn serve(&self, me: Process) -> Result<(), std::io::Error> {
        me.closing().await;
        Ok(())
    }
}

#[process]
struct Bare {}

impl Bare {
    #[run]
    pub async fn tick(&self) {}
}

#[process]
struct Generic<T: Send + Sync + 'static> {
    items: Vec<T>,
}

impl<T: Send + Sync + 'static> Generic<T> {
    #[run]
    async fn work(&self, _: goprocess::Process) -> std::io::Result<()> {
        let _ = self.items.len();
        Ok(())
    }
}

mod elsewhere {
    use goprocess::run;

    impl super::Split {
        #[run]
        async fn go(&self) {}
    }
}

#[process]
struct Split {}

impl Split {
    #[teardown]
    fn done(&self) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let handles = (
        WithProcess {}.start(),
        Bare {}.start(),
        Generic { items: vec![1u8] }.start(),
        Split {}.start(),
    );
    Handle::close(&handles.0).await.unwrap();
    Handle::closed(&handles.1).await;
    Handle::closed(&handles.2).await;
    Handle::closed(&handles.3).await;
    assert_eq!(Split::shutdown_plan().run(), Some("go"));
}
