//! The comparison service (docs/comparison.md) wired with tokio-util's
//! `CancellationToken` and `TaskTracker`.
//!
//! A server accepts jobs until shutdown and hands them to two workers; the
//! workers write each job to a store; the store flushes on shutdown. The
//! order that loses nothing: the server stops, then the workers drain their
//! queues, then the store flushes. Here the order is the sequence of
//! `wait()`s at the end of `main`.
//!
//! Run with `cargo run --example compare_tokio_util`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

type Log = Arc<Mutex<Vec<String>>>;
type Jobs = Arc<Mutex<Vec<u64>>>;

#[tokio::main]
async fn main() {
    let (log, jobs): (Log, Jobs) = Default::default();
    let token = CancellationToken::new();
    let (servers, workers) = (TaskTracker::new(), TaskTracker::new());

    let mut queues = Vec::new();
    for id in 0..2 {
        let (tx, mut rx) = mpsc::channel::<u64>(16);
        queues.push(tx);
        let (log, jobs) = (log.clone(), jobs.clone());
        workers.spawn(async move {
            while let Some(job) = rx.recv().await {
                jobs.lock().unwrap().push(job);
            }
            log.lock().unwrap().push(format!("worker {id}: drained"));
        });
    }
    servers.spawn({
        let (log, token) = (log.clone(), token.clone());
        async move {
            let mut accepted = 0;
            while tokio::select! {
                _ = token.cancelled() => false,
                _ = tokio::time::sleep(Duration::from_millis(1)) => true,
            } {
                queues[accepted as usize % 2].send(accepted).await.unwrap();
                accepted += 1;
            }
            log.lock()
                .unwrap()
                .push(format!("server: stopped after {accepted} jobs"));
        } // the queues drop here: the workers drain and return
    });

    tokio::time::sleep(Duration::from_millis(200)).await; // then "SIGTERM"
    token.cancel();
    // The order is this sequence. Forgetting a close() makes its wait()
    // hang; nothing bounds the waits unless each is wrapped in a timeout.
    let shutdown = async {
        servers.close();
        servers.wait().await;
        workers.close();
        workers.wait().await;
        let n = jobs.lock().unwrap().len();
        log.lock().unwrap().push(format!("store: flushed {n} jobs"));
    };
    if tokio::time::timeout(Duration::from_secs(5), shutdown)
        .await
        .is_err()
    {
        eprintln!("shutdown timed out");
        std::process::exit(1);
    }

    for line in log.lock().unwrap().iter() {
        println!("{line}");
    }
    println!("order: written by hand in main");
}
