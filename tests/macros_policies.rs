//! What `#[teardown(reserve = "..")]` and `#[process(children_on_failure
//! = "..", on_failure = "..")]` set on a struct's process, seen in how it
//! closes. On a paused clock where time matters.

mod common;

use std::time::Duration;

use common::{Log, within};
use goprocess::prelude::*;
use goprocess::{CloseCause, ErrorKind};
use tokio::time::Instant;

/// A server that ignores its close (it never returns).
#[process]
struct StuckServer {}

impl StuckServer {
    #[run]
    async fn serve(&self) {
        std::future::pending::<()>().await;
    }
}

/// A store whose flush takes 200 ms and must run after the server.
#[process]
struct Store {
    log: Log,
    start: Instant,
}

impl Store {
    #[teardown(reserve = "300ms")]
    async fn flush(&self) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.log
            .push(format!("flushed at {:?}", self.start.elapsed()));
    }
}

/// The same store without a reserve.
#[process]
struct UnreservedStore {
    log: Log,
    start: Instant,
}

impl UnreservedStore {
    #[teardown]
    async fn flush(&self) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.log
            .push(format!("flushed at {:?}", self.start.elapsed()));
    }
}

#[process]
struct Service {
    #[child]
    http: Handle<StuckServer>,
    #[child]
    #[wait_for(http)]
    store: Handle<Store>,
}

#[process]
struct UnreservedService {
    #[child]
    http: Handle<StuckServer>,
    #[child]
    #[wait_for(http)]
    store: Handle<UnreservedStore>,
}

/// A stuck server before a flush, under a close budget: with the reserve
/// on the store's teardown, the server is escalated 300 ms before the
/// deadline and the flush runs; without it, the budget ends first.
#[tokio::test(start_paused = true)]
async fn a_reserve_on_a_structs_teardown_lets_the_flush_run() {
    let start = Instant::now();
    let log = Log::new();
    let service = Service {
        http: StuckServer {}.start(),
        store: Store {
            log: log.clone(),
            start,
        }
        .start(),
    }
    .start();
    assert_eq!(
        service.store.process().name().as_deref(),
        Some("store"),
        "named after its field"
    );
    let err = within(Handle::close_within(&service, Duration::from_secs(1)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("`Service/http`"), "{err}");
    // http escalated at 700 ms, the flush from 700 to 900 ms.
    assert_eq!(log.events(), ["flushed at 900ms"]);
    assert_eq!(start.elapsed(), Duration::from_millis(900));

    let start = Instant::now();
    let log = Log::new();
    let service = UnreservedService {
        http: StuckServer {}.start(),
        store: UnreservedStore {
            log: log.clone(),
            start,
        }
        .start(),
    }
    .start();
    let err = within(Handle::close_within(&service, Duration::from_secs(1)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert!(log.events().is_empty(), "no time was left for the flush");
}

// ------------------------------------------------------------ children_on_failure

/// A part that fails as soon as it runs.
#[process]
struct Crashing {}

impl Crashing {
    #[run]
    async fn serve(&self) -> Result<(), std::io::Error> {
        Err(std::io::Error::other("crashed"))
    }
}

#[process(children_on_failure = "propagate")]
struct AsOne {
    log: Log,
    #[child]
    api: Handle<Crashing>,
}

impl AsOne {
    #[teardown]
    fn done(&self) {
        self.log.push("AsOne closed");
    }
}

#[process]
struct Isolated {
    log: Log,
    #[child]
    api: Handle<Crashing>,
}

impl Isolated {
    #[teardown]
    fn done(&self) {
        self.log.push("Isolated closed");
    }
}

/// `children_on_failure = "propagate"`: a failure below the struct closes
/// it (as tokio-graceful-shutdown does by default); without it, the struct
/// runs on.
#[tokio::test]
async fn children_on_failure_makes_the_struct_fail_as_one() {
    let log = Log::new();
    let app = AsOne {
        log: log.clone(),
        api: Crashing {}.prepare(), // takes the policy when it is linked
    }
    .start();
    within(Handle::closed(&app)).await;
    match app.process().close_cause() {
        Some(CloseCause::ChildFailed(child)) => assert_eq!(child.name(), "api"),
        other => panic!("closed for {other:?}"),
    }
    assert_eq!(log.events(), ["AsOne closed"]);

    let log = Log::new();
    let isolated = Isolated {
        log: log.clone(),
        api: Crashing {}.prepare(),
    }
    .start();
    within(Handle::closed(&isolated.api)).await;
    tokio::task::yield_now().await;
    assert!(!isolated.process().is_closing(), "Isolate is the default");
    let err = within(Handle::close(&isolated)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Children);
}

/// A part that fails as soon as it runs, and said so explicitly.
#[process(on_failure = "isolate")]
struct CrashingQuietly {}

impl CrashingQuietly {
    #[run]
    async fn serve(&self) -> Result<(), std::io::Error> {
        Err(std::io::Error::other("crashed"))
    }
}

#[process(children_on_failure = "propagate")]
struct Tolerant {
    #[child]
    api: Handle<CrashingQuietly>,
}

/// An explicit `on_failure = "isolate"` wins over the parent's
/// `children_on_failure`: written, it is set, even though it is the
/// default.
#[tokio::test]
async fn an_explicit_on_failure_wins_over_the_parents_default() {
    let app = Tolerant {
        api: CrashingQuietly {}.prepare(),
    }
    .start();
    within(Handle::closed(&app.api)).await;
    tokio::task::yield_now().await;
    assert!(!app.process().is_closing(), "the failure stayed isolated");
    let err = within(Handle::close(&app)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Children);
    assert_eq!(app.api.process().name().as_deref(), Some("api"));
}
