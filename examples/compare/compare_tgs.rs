//! The comparison service (docs/comparison.md) wired with
//! tokio-graceful-shutdown.
//!
//! A server accepts jobs until shutdown and hands them to two workers; the
//! workers write each job to a store; the store flushes on shutdown. The
//! order that loses nothing: the server stops, then the workers drain their
//! queues, then the store flushes. Every subsystem is asked to shut down
//! at the same moment, so the store orders itself: it waits for the
//! workers' `finished()` futures before flushing.
//!
//! Run with `cargo run --example compare_tgs`.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_graceful_shutdown::{SubsystemBuilder, SubsystemHandle, Toplevel};

type Log = Arc<Mutex<Vec<String>>>;
type Jobs = Arc<Mutex<Vec<u64>>>;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (log, jobs): (Log, Jobs) = Default::default();
    let (l, j) = (log.clone(), jobs.clone());
    Toplevel::new(async move |s: &mut SubsystemHandle| {
        let mut queues = Vec::new();
        let mut finished = Vec::new();
        for id in 0..2 {
            let (tx, mut rx) = mpsc::channel::<u64>(16);
            queues.push(tx);
            let (log, jobs) = (l.clone(), j.clone());
            // A worker ignores the shutdown request: it drains its queue,
            // which ends when the server has stopped.
            let worker = s.start(SubsystemBuilder::new(
                format!("worker {id}"),
                async move |_: &mut SubsystemHandle| {
                    while let Some(job) = rx.recv().await {
                        jobs.lock().unwrap().push(job);
                    }
                    log.lock().unwrap().push(format!("worker {id}: drained"));
                    Ok::<(), Infallible>(())
                },
            ));
            finished.push(worker.finished());
        }
        let log = l.clone();
        s.start(SubsystemBuilder::new(
            "server",
            async move |s: &mut SubsystemHandle| {
                let mut accepted = 0;
                while tokio::select! {
                    _ = s.on_shutdown_requested() => false,
                    _ = tokio::time::sleep(Duration::from_millis(1)) => true,
                } {
                    queues[accepted as usize % 2].send(accepted).await.unwrap();
                    accepted += 1;
                }
                log.lock()
                    .unwrap()
                    .push(format!("server: stopped after {accepted} jobs"));
                Ok::<(), Infallible>(())
            },
        ));
        let (log, jobs) = (l.clone(), j.clone());
        s.start(SubsystemBuilder::new(
            "store",
            async move |s: &mut SubsystemHandle| {
                s.on_shutdown_requested().await;
                for worker in finished {
                    worker.await; // the order, by hand: after every worker
                }
                let n = jobs.lock().unwrap().len();
                log.lock().unwrap().push(format!("store: flushed {n} jobs"));
                Ok::<(), Infallible>(())
            },
        ));
        s.start(SubsystemBuilder::new(
            "sigterm",
            async |s: &mut SubsystemHandle| {
                tokio::time::sleep(Duration::from_millis(200)).await; // then "SIGTERM"
                s.request_shutdown();
                Ok::<(), Infallible>(())
            },
        ));
    })
    .handle_shutdown_requests(Duration::from_secs(5))
    .await?;

    for line in log.lock().unwrap().iter() {
        println!("{line}");
    }
    println!("order: the store awaits the workers' finished() futures");
    Ok(())
}
