//! Every observer of a limited child finds its slot back once `closed()`
//! resolved, including one that got the child's handle from inside the
//! child: the slot's release is registered before the child's function
//! can run, so a child that closes at once cannot close in between.

mod common;

use std::io::Write;
use std::time::Duration;

use common::within;
use goprocess::Process;
use goprocess::ratelimit::RateLimiter;
use tokio::sync::oneshot;

/// A log output as slow as a busy terminal: each line takes a while.
struct Slow;

impl Write for Slow {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::thread::sleep(Duration::from_millis(2));
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `runs` limited children that hand their own handle to an
/// observer task and return at once; counts the observers that found the
/// slot still taken once `closed()` resolved.
async fn slot_still_taken(runs: usize) -> usize {
    let limiter = RateLimiter::new(&Process::new(), 1);
    let mut taken = 0;
    for _ in 0..runs {
        let (tx, rx) = oneshot::channel::<Process>();
        let observer = tokio::spawn({
            let limiter = limiter.clone();
            async move {
                let me = rx.await.unwrap();
                me.closed().await;
                limiter.available_slots()
            }
        });
        limiter
            .limited_go(move |me| async move {
                let _ = tx.send(me);
            })
            .await;
        if within(observer).await.unwrap() != 1 {
            taken += 1;
        }
    }
    within(limiter.process().close()).await.unwrap();
    taken
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_observer_from_inside_finds_the_slot_back_behind_a_slow_log() {
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(|| Slow)
        .finish();
    // On this thread only: where `limited_go` runs, not the children.
    let _log = tracing::subscriber::set_default(subscriber);
    assert_eq!(slot_still_taken(50).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_observer_from_inside_finds_the_slot_back_10_000_times() {
    assert_eq!(slot_still_taken(10_000).await, 0);
}
