//! Field roles of `#[process]` structs: `no_wait`, bare `wait_for`,
//! `Option` / `Vec` children, generic structs, `start_with_parent`.
#![deny(warnings, clippy::all)]

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use goprocess::{AsProcess, Handle, Process, Start, process, teardown};
use tokio::sync::Notify;

async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("timed out")
}

/// A process whose teardown signals `started`, then waits for `gate`.
fn gated(started: Arc<Notify>, gate: Arc<Notify>) -> Process {
    Process::with_async_teardown(move || async move {
        started.notify_one();
        gate.notified().await;
        Ok(())
    })
}

#[process]
struct WithMetrics {
    #[child(no_wait)]
    metrics: Process,
}

#[tokio::test]
async fn no_wait_children_are_closed_but_not_waited_for() {
    let (started, gate) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let app = WithMetrics {
        metrics: gated(Arc::clone(&started), Arc::clone(&gate)),
    }
    .start();
    // The struct closes while `metrics` is still stuck in its teardown.
    within(app.process().close()).await.unwrap();
    within(started.notified()).await;
    assert!(app.metrics.is_closing());
    assert!(!app.metrics.is_closed());
    gate.notify_one();
    within(app.metrics.closed()).await;
}

#[process]
struct WithJournal {
    #[wait_for]
    journal: Process,
}

#[tokio::test]
async fn bare_wait_for_is_waited_for_but_never_closed() {
    let journal = Process::new();
    let app = WithJournal {
        journal: journal.clone(),
    }
    .start();
    let closing = tokio::spawn(app.process().close());
    within(app.process().closing()).await;
    tokio::task::yield_now().await;
    assert!(
        !journal.is_closing(),
        "the struct must not close a #[wait_for] field"
    );
    assert!(!app.process().is_closed());

    within(journal.close()).await.unwrap();
    within(closing).await.unwrap().unwrap();
    assert!(app.process().is_closed());
}

#[process]
struct Collections {
    #[child]
    present: Option<Process>,
    #[child]
    absent: Option<Process>,
    #[child]
    workers: Vec<Process>,
    #[child]
    #[wait_for(workers)]
    supervisor: Option<Handle<Supervisor>>,
}

#[process]
struct Supervisor {}

#[tokio::test]
async fn option_and_vec_children_are_all_closed() {
    let workers: Vec<Process> = (0..3).map(|_| Process::new()).collect();
    let app = Collections {
        present: Some(Process::new()),
        absent: None,
        workers: workers.clone(),
        supervisor: Some(Supervisor {}.start()),
    }
    .start();
    within(app.process().close()).await.unwrap();
    assert!(app.present.as_ref().unwrap().is_closed());
    assert!(workers.iter().all(Process::is_closed));
    assert!(app.supervisor.as_ref().unwrap().process().is_closed());
    assert_eq!(
        Collections::shutdown_plan().stages(),
        &[&["present", "absent", "workers"][..], &["supervisor"]]
    );
}

#[process]
struct Pool<W, const N: usize>
where
    W: AsProcess + Send + Sync + 'static,
{
    #[child]
    workers: Vec<W>,
    #[child]
    #[wait_for(workers)]
    supervisor: Process,
    limits: [u32; N],
}

impl<W: AsProcess + Send + Sync + 'static, const N: usize> Pool<W, N> {
    #[teardown]
    fn done(&self) {
        assert!(self.workers.iter().all(|w| w.as_process().is_closed()));
        assert!(self.supervisor.is_closed());
    }
}

#[tokio::test]
async fn generic_structs_work() {
    let pool: Handle<Pool<Handle<Supervisor>, 2>> = Pool {
        workers: vec![Supervisor {}.start(), Supervisor {}.start()],
        supervisor: Process::new(),
        limits: [4, 8],
    }
    .start();
    assert_eq!(pool.limits, [4, 8]);
    assert_eq!(pool.process().name().as_deref(), Some("Pool"));
    within(pool.process().close()).await.unwrap();
    assert_eq!(
        Pool::<Process, 1>::shutdown_plan().stages(),
        &[&["workers"][..], &["supervisor"]]
    );
}

#[tokio::test]
async fn start_with_parent_makes_a_child_of_the_parent() {
    let parent = Process::new();
    let app = WithMetrics {
        metrics: Process::new(),
    }
    .start_with_parent(&parent);
    within(parent.close()).await.unwrap();
    assert!(app.process().is_closed());
    assert!(app.metrics.is_closing());
}

#[tokio::test]
async fn handles_share_the_value_and_the_process() {
    let a = Supervisor {}.start();
    let b = a.clone();
    assert!(Arc::ptr_eq(a.value(), b.value()));
    within(b.process().close()).await.unwrap();
    assert!(a.process().is_closed());
}
