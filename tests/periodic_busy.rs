//! A stream that is always ready (the user's, not ours to fix) must not
//! starve the runtime: the loop of `ticker` / `ticker_go` gives the
//! scheduler its turn (tokio's cooperative budget), so a close always gets
//! in, on a current-thread runtime too, and overlapping runs get to run.

mod common;

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use goprocess::Process;
use goprocess::periodic;

/// Always has an item.
struct Forever;

impl futures_core::Stream for Forever {
    type Item = ();
    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<()>> {
        Poll::Ready(Some(()))
    }
}

/// Runs `scenario` on a current-thread runtime of its own thread; fails
/// if it has not finished in 10 s (a loop that never yields starves that
/// runtime's own timers, so the bound must come from outside).
fn on_current_thread(
    scenario: impl FnOnce() -> Pin<Box<dyn Future<Output = ()>>> + Send + 'static,
) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(scenario());
        let _ = tx.send(());
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("hung: the close never got in");
}

/// The runs so far, and a run function that counts.
fn counted() -> (
    Arc<AtomicUsize>,
    impl FnMut(Process) -> std::future::Ready<()> + Send + 'static,
) {
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    (runs, move |_| {
        r.fetch_add(1, Ordering::Relaxed);
        std::future::ready(())
    })
}

#[test]
fn a_close_gets_in_over_an_always_ready_stream_on_current_thread() {
    on_current_thread(|| {
        Box::pin(async {
            let (runs, f) = counted();
            let p = periodic::ticker(Forever, f);
            tokio::task::yield_now().await;
            p.close().await.unwrap();
            assert!(runs.load(Ordering::Relaxed) > 0);
        })
    });
}

#[test]
fn overlapping_runs_get_to_run_and_a_close_gets_in_on_current_thread() {
    on_current_thread(|| {
        Box::pin(async {
            let (runs, f) = counted();
            let p = periodic::ticker_go(Forever, f);
            tokio::time::sleep(Duration::from_millis(20)).await;
            p.close().await.unwrap();
            assert!(runs.load(Ordering::Relaxed) > 0, "the runs ran");
        })
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_gets_in_over_an_always_ready_stream_on_two_workers() {
    let (_, f) = counted();
    let sequential = periodic::ticker(Forever, f);
    let (_, f) = counted();
    let overlapping = periodic::ticker_go(Forever, f);
    tokio::time::sleep(Duration::from_millis(20)).await;
    common::within(sequential.close()).await.unwrap();
    common::within(overlapping.close()).await.unwrap();
}
