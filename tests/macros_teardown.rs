//! `#[teardown]`: sync and async, exactly once, after the children, with
//! its error reaching `close()`; structs without one.
#![deny(warnings, clippy::all)]

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use goprocess::{ErrorKind, Process, Start, process, teardown};

async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("timed out")
}

#[process]
struct Counted {
    #[child]
    worker: Process,
    runs: Arc<AtomicUsize>,
}

impl Counted {
    #[teardown]
    fn count(&self) {
        // Runs after every child has closed.
        assert!(self.worker.is_closed());
        self.runs.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn sync_teardown_runs_exactly_once_after_the_children() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Counted {
        worker: Process::new(),
        runs: Arc::clone(&runs),
    }
    .start();
    let (a, b) = (counted.process().close(), counted.process().close());
    within(a).await.unwrap();
    within(b).await.unwrap();
    within(counted.process().close()).await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[process]
struct AsyncCounted {
    #[child]
    worker: Process,
    runs: Arc<AtomicUsize>,
}

impl AsyncCounted {
    #[teardown]
    async fn count(&self) -> Result<(), std::io::Error> {
        assert!(self.worker.is_closed());
        tokio::task::yield_now().await;
        self.runs.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn async_teardown_runs_exactly_once_after_the_children() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = AsyncCounted {
        worker: Process::new(),
        runs: Arc::clone(&runs),
    }
    .start();
    within(counted.process().close()).await.unwrap();
    within(counted.process().close()).await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[process]
struct NoTeardown {
    #[child]
    worker: Process,
}

#[tokio::test]
async fn a_struct_without_teardown_just_closes() {
    let plain = NoTeardown {
        worker: Process::new(),
    }
    .start();
    within(plain.process().close()).await.unwrap();
    assert!(plain.worker.is_closed());
    assert_eq!(plain.process().name().as_deref(), Some("NoTeardown"));
}

#[derive(Debug)]
struct FlushFailed {
    pending: usize,
}

impl fmt::Display for FlushFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} writes not flushed", self.pending)
    }
}

impl std::error::Error for FlushFailed {}

#[process]
struct Journal {
    pending: usize,
}

impl Journal {
    #[teardown]
    async fn flush(&self) -> Result<(), FlushFailed> {
        Err(FlushFailed {
            pending: self.pending,
        })
    }
}

#[tokio::test]
async fn a_teardown_error_reaches_close() {
    let journal = Journal { pending: 3 }.start();
    let error = within(journal.process().close()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Teardown);
    assert_eq!(error.process_name(), Some("Journal"));
    let source = error
        .downcast_ref::<FlushFailed>()
        .expect("the teardown's error");
    assert_eq!(source.pending, 3);
    // Closing again reports the same stored result.
    let again = within(journal.process().close()).await.unwrap_err();
    assert!(again.downcast_ref::<FlushFailed>().is_some());
}

#[process]
struct SyncFailing {}

impl SyncFailing {
    #[teardown]
    fn fail(&self) -> std::io::Result<()> {
        Err(std::io::Error::other("disk gone"))
    }
}

#[test]
fn a_sync_teardown_error_reaches_close_blocking() {
    let failing = SyncFailing {}.start();
    let error = failing.process().close_blocking().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Teardown);
    let io = error
        .downcast_ref::<std::io::Error>()
        .expect("the teardown's error");
    assert_eq!(io.to_string(), "disk gone");
}

mod elsewhere {
    // The `#[teardown]` impl may live in another module than the struct.
    use goprocess::teardown;
    use std::sync::atomic::Ordering;

    impl super::Split {
        #[teardown]
        fn done(&self) {
            self.runs.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[process]
struct Split {
    runs: Arc<AtomicUsize>,
}

#[tokio::test]
async fn a_teardown_in_another_module_still_runs() {
    let runs = Arc::new(AtomicUsize::new(0));
    let split = Split {
        runs: Arc::clone(&runs),
    }
    .start();
    within(split.process().close()).await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_teardown_method_stays_callable() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Counted {
        worker: Process::new(),
        runs: Arc::clone(&runs),
    };
    within(counted.worker.close()).await.unwrap();
    counted.count();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}
