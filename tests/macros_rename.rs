//! `crate = "path"`: the macros work when goprocess is only reachable under
//! another name.
#![deny(warnings, clippy::all)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use goprocess as gp2;

#[gp2::process(crate = "gp2")]
struct Renamed {
    #[child]
    worker: gp2::Process,
    #[child]
    #[wait_for(worker)]
    after: gp2::Process,
    runs: Arc<AtomicUsize>,
}

impl Renamed {
    #[gp2::teardown(crate = "gp2")]
    async fn done(&self) {
        assert!(self.worker.is_closed() && self.after.is_closed());
        self.runs.fetch_add(1, Ordering::SeqCst);
    }
}

mod reexported {
    pub(crate) mod rt {
        pub(crate) use goprocess::*;
    }

    #[super::gp2::process(crate = "self::rt")]
    pub(crate) struct Deep {
        #[child]
        pub(crate) worker: rt::Process,
    }
}

#[tokio::test]
async fn crate_override_expands_through_the_given_path() {
    use gp2::Start;

    let runs = Arc::new(AtomicUsize::new(0));
    let renamed = Renamed {
        worker: gp2::Process::new(),
        after: gp2::Process::new(),
        runs: Arc::clone(&runs),
    }
    .start();
    assert_eq!(
        Renamed::shutdown_plan().stages(),
        &[&["worker"][..], &["after"]]
    );
    tokio::time::timeout(Duration::from_secs(10), renamed.process().close())
        .await
        .expect("timed out")
        .unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    let deep = reexported::Deep {
        worker: gp2::Process::new(),
    }
    .start();
    tokio::time::timeout(Duration::from_secs(10), deep.process().close())
        .await
        .expect("timed out")
        .unwrap();
    assert!(deep.worker.is_closed());
}
