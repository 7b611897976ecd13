//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod cargo;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An ordered record of events, shared between tasks and teardowns.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    pub fn new() -> Log {
        Log::default()
    }

    pub fn push(&self, event: impl Into<String>) {
        self.0.lock().unwrap().push(event.into());
    }

    pub fn events(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// A sync teardown that records `event`.
    pub fn teardown(
        &self,
        event: &str,
    ) -> impl FnOnce() -> Result<(), goprocess::BoxError> + Send + 'static {
        let log = self.clone();
        let event = event.to_string();
        move || {
            log.push(event);
            Ok(())
        }
    }

    /// Index of `event`; panics if it is missing.
    pub fn pos(&self, event: &str) -> usize {
        let events = self.events();
        events
            .iter()
            .position(|e| e == event)
            .unwrap_or_else(|| panic!("event {event:?} missing from {events:?}"))
    }
}

/// Bounds a wait so that a bug fails the test instead of hanging it.
#[track_caller]
pub fn within<F: Future>(fut: F) -> impl Future<Output = F::Output> {
    let caller = std::panic::Location::caller();
    async move {
        match tokio::time::timeout(Duration::from_secs(10), fut).await {
            Ok(v) => v,
            Err(_) => panic!("hung: the wait at {caller} did not finish in 10 s"),
        }
    }
}

/// Bounds a blocking wait from a plain thread.
pub fn within_blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("hung: the blocking call did not return in 10 s")
}

/// Counts live work (tokens not yet dropped), so a test can tell an
/// aborted task from one left running.
#[derive(Clone, Default)]
pub struct Alive(Arc<std::sync::atomic::AtomicUsize>);

/// One unit of live work; dropping it ends it.
pub struct AliveToken(Arc<std::sync::atomic::AtomicUsize>);

impl Alive {
    pub fn token(&self) -> AliveToken {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        AliveToken(self.0.clone())
    }

    pub fn count(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for AliveToken {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The tasks alive on the current runtime.
pub fn tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// Waits (bounded) until the runtime is back to `n` alive tasks.
pub async fn tasks_back_to(n: usize) {
    within(async {
        while tasks() > n {
            tokio::task::yield_now().await;
        }
    })
    .await;
}

/// Sends `sig` (a name such as "USR1") to this test process. Install the
/// handler first: an unhandled SIGTERM or SIGINT ends the test runner.
#[cfg(unix)]
pub fn raise(sig: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(std::process::id().to_string())
        .status()
        .expect("cannot run `kill`");
    assert!(status.success(), "kill -{sig} failed");
}

/// How many edges go out of `p` and how many come into it, from its
/// snapshot. Both are zero once `p` has closed: it leaves its parents' and
/// waiters' edge sets, and its own edges leave with the processes they
/// point at.
pub fn edge_counts(p: &goprocess::Process) -> (usize, usize) {
    let snapshot = p.snapshot();
    let info = snapshot.get(p.id()).expect("a snapshot holds its root");
    (info.edges().len(), info.incoming().len())
}

/// Silences the default panic hook for the panics a test injects on
/// purpose (their message starts with "injected"), once per test binary;
/// other panics are reported as usual.
pub fn quiet_injected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let injected = payload
                .downcast_ref::<&str>()
                .is_some_and(|m| m.starts_with("injected"))
                || payload
                    .downcast_ref::<String>()
                    .is_some_and(|m| m.starts_with("injected"));
            if !injected {
                default(info);
            }
        }));
    });
}

/// A property-test runner of `PROPTEST_CASES` cases (512 by default), with
/// no failure file, and that number of cases.
pub fn prop_runner() -> (proptest::test_runner::TestRunner, u32) {
    use proptest::test_runner::{Config, TestRunner};
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512);
    let runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    (runner, cases)
}
