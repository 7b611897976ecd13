//! `#[run]`: the struct's own process function. It starts once the edges
//! are in place, closing waits for it, its return closes the struct in the
//! derived order, its `Err` or panic is the struct's error.
#![deny(warnings, clippy::all)]

mod common;

use std::sync::Arc;

use common::{Log, within};
use goprocess::introspect::ProcessState;
use goprocess::{EdgeKind, ErrorKind, Handle, OnFailure, Process, Start, process, run, teardown};
use tokio::sync::Notify;

/// A leaf whose teardown records `name`.
fn leaf(log: &Log, name: &str) -> Process {
    Process::with_teardown(log.teardown(name))
}

// ------------------------------------------------ closing from outside

#[process]
struct Server {
    #[child]
    conns: Process,
    log: Log,
    /// Holds the run until the test lets it return.
    release: Arc<Notify>,
}

impl Server {
    #[run]
    async fn serve(&self, me: Process) {
        self.log.push("run started");
        me.closing().await;
        self.log.push("run sees closing");
        self.release.notified().await;
        self.log.push("run returned");
    }

    #[teardown]
    fn done(&self) {
        self.log.push("teardown");
    }
}

#[tokio::test]
async fn closing_waits_for_the_run_then_the_teardown_runs() {
    let log = Log::new();
    let release = Arc::new(Notify::new());
    let server = Server {
        conns: leaf(&log, "conns closed"),
        log: log.clone(),
        release: Arc::clone(&release),
    }
    .start();
    let close = tokio::spawn(Handle::close(&server));
    within(async {
        while !log.events().contains(&"conns closed".to_owned())
            || !log.events().contains(&"run sees closing".to_owned())
        {
            tokio::task::yield_now().await;
        }
    })
    .await;
    // Children close while the run is still draining; the struct waits.
    assert!(!server.process().is_closed());
    release.notify_one();
    within(close).await.unwrap().unwrap();
    // On this one-thread runtime the close runs the children's sync
    // teardowns before the run's task is polled again.
    assert_eq!(
        log.events(),
        [
            "run started",
            "conns closed",
            "run sees closing",
            "run returned",
            "teardown"
        ]
    );
}

// --------------------------------------------- edges before the run starts

#[process]
struct Checked {
    #[child]
    child: Process,
    #[wait_for]
    journal: Process,
    saw: Arc<std::sync::Mutex<Vec<(EdgeKind, u64)>>>,
}

impl Checked {
    #[run]
    async fn look(&self, me: Process) {
        let snapshot = me.snapshot();
        let edges = snapshot.get(me.id()).expect("itself").edges().to_vec();
        *self.saw.lock().unwrap() = edges;
    }
}

#[tokio::test]
async fn the_run_starts_once_the_edges_are_in_place() {
    let child = Process::new();
    let journal = Process::new();
    let checked = Checked {
        child: child.clone(),
        journal: journal.clone(),
        saw: Arc::default(),
    }
    .start();
    within(async {
        while checked.saw.lock().unwrap().is_empty() {
            tokio::task::yield_now().await;
        }
    })
    .await;
    journal.close().await.unwrap(); // the struct waits for it
    within(Handle::closed(&checked)).await;
    let saw = checked.saw.lock().unwrap().clone();
    assert!(saw.contains(&(EdgeKind::Child, child.id())), "{saw:?}");
    assert!(saw.contains(&(EdgeKind::WaitFor, journal.id())), "{saw:?}");
}

#[process]
struct Mine {}

impl Mine {
    #[run]
    async fn check(&self, me: Process) -> Result<(), String> {
        if me.name().as_deref() == Some("Mine") && !me.is_closing() {
            Ok(())
        } else {
            Err(format!("got {me:?}"))
        }
    }
}

#[tokio::test]
async fn the_process_argument_is_the_structs_own_process() {
    let mine = Mine {}.start();
    within(Handle::err(&mine)).await.unwrap();
}

// ------------------------------------------------- returning by itself

#[process]
struct Job {
    #[child]
    first: Process,
    #[child]
    #[wait_for(first)]
    second: Process,
    log: Log,
}

impl Job {
    #[run]
    async fn work(&self) {
        self.log.push("work done");
    }

    #[teardown]
    async fn report(&self) {
        self.log.push("teardown");
    }
}

#[tokio::test]
async fn a_run_that_returns_closes_the_struct_in_its_derived_order() {
    let log = Log::new();
    let job = Job {
        first: leaf(&log, "first"),
        second: leaf(&log, "second"),
        log: log.clone(),
    }
    .start();
    within(Handle::closed(&job)).await;
    assert_eq!(log.events(), ["work done", "first", "second", "teardown"]);
    assert!(job.process().err().await.is_ok());
}

// ------------------------------------------------------------- failures

#[derive(Debug)]
struct PortInUse;

impl std::fmt::Display for PortInUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("port in use")
    }
}

impl std::error::Error for PortInUse {}

#[process]
struct Failing {
    #[child]
    conns: Process,
}

impl Failing {
    #[run]
    async fn serve(&self) -> Result<(), PortInUse> {
        Err(PortInUse)
    }
}

#[tokio::test]
async fn the_runs_error_is_the_structs_error_and_the_struct_closes() {
    let conns = Process::new();
    let failing = Failing {
        conns: conns.clone(),
    }
    .start();
    let err = within(Handle::err(&failing)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Function, "{err}");
    assert!(err.downcast_ref::<PortInUse>().is_some(), "{err}");
    assert!(conns.is_closed(), "its children closed with it");
}

#[process]
struct Panicking {}

impl Panicking {
    #[run]
    async fn serve(&self) {
        panic!("boom");
    }
}

#[tokio::test]
async fn a_panicking_run_is_the_structs_panic() {
    let panicking = Panicking {}.start();
    let err = within(Handle::err(&panicking)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Panic, "{err}");
    assert!(err.to_string().contains("boom"), "{err}");
}

#[tokio::test]
async fn a_run_under_a_closed_parent_never_runs() {
    let parent = Process::new();
    parent.close().await.unwrap();
    let log = Log::new();
    let job = Job {
        first: leaf(&log, "first"),
        second: leaf(&log, "second"),
        log: log.clone(),
    }
    .start_with_parent(&parent);
    within(Handle::closed(&job)).await;
    assert!(!log.events().contains(&"work done".to_owned()));
    assert_eq!(
        job.process()
            .snapshot()
            .get(job.process().id())
            .map(|p| p.state()),
        Some(ProcessState::Closed)
    );
}

#[test]
#[should_panic(expected = "`Mine::start` spawns a tokio task and needs a tokio runtime")]
fn start_without_a_runtime_panics_naming_the_fix() {
    let _ = Mine {}.start();
}

#[test]
fn a_struct_without_run_starts_without_a_runtime() {
    let log = Log::new();
    #[process]
    struct Plain {
        #[child]
        leaf: Process,
    }
    let plain = Plain {
        leaf: leaf(&log, "leaf"),
    }
    .start();
    plain.process().close_blocking().unwrap();
    assert_eq!(log.events(), ["leaf"]);
}

// ------------------------------------------------------------ on_failure

#[process(on_failure = "propagate")]
struct Propagating {}

#[process(on_failure = "isolate")]
struct Isolating {}

#[test]
fn on_failure_sets_the_policy_of_the_structs_process() {
    use goprocess::__private::Spec;
    assert_eq!(Propagating::ON_FAILURE, Some(OnFailure::Propagate));
    assert_eq!(Isolating::ON_FAILURE, Some(OnFailure::Isolate)); // written: explicit
    assert_eq!(Mine::ON_FAILURE, None);
}

#[process(on_failure = "propagate")]
struct Fragile {}

impl Fragile {
    #[run]
    async fn serve(&self) -> Result<(), PortInUse> {
        Err(PortInUse)
    }
}

#[process]
struct Host {
    #[child]
    fragile: Handle<Fragile>,
    #[child]
    other: Process,
}

#[tokio::test]
async fn a_propagating_struct_whose_run_fails_closes_its_parent() {
    let log = Log::new();
    let host = Host {
        fragile: Fragile {}.start(),
        other: leaf(&log, "other closed"),
    }
    .start();
    let err = within(Handle::err(&host)).await.unwrap_err();
    assert!(err.downcast_ref::<PortInUse>().is_some(), "{err}");
    assert_eq!(log.events(), ["other closed"]);
}
