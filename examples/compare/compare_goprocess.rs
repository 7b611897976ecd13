//! The comparison service (docs/comparison.md) wired with goprocess.
//!
//! A server accepts jobs until shutdown and hands them to two workers; the
//! workers write each job to a store; the store flushes on shutdown. The
//! order that loses nothing: the server stops, then the workers drain their
//! queues, then the store flushes. Here the order is declared on the
//! struct (`#[wait_for]`) and checked at compile time.
//!
//! Run with `cargo run --example compare_goprocess`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use goprocess::prelude::*;
use tokio::sync::mpsc;

type Log = Arc<Mutex<Vec<String>>>;
type Jobs = Arc<Mutex<Vec<u64>>>;

#[process]
struct App {
    #[child]
    server: Process,
    #[child]
    #[wait_for(server)]
    workers: Vec<Process>,
    #[child]
    #[wait_for(server, workers)]
    store: Handle<Store>,
}

#[process]
struct Store {
    jobs: Jobs,
    log: Log,
}

impl Store {
    #[teardown]
    fn flush(&self) {
        let n = self.jobs.lock().unwrap().len();
        self.log
            .lock()
            .unwrap()
            .push(format!("store: flushed {n} jobs"));
    }
}

#[tokio::main]
async fn main() -> Result<(), goprocess::Error> {
    let (log, jobs): (Log, Jobs) = Default::default();
    let (mut queues, mut workers) = (Vec::new(), Vec::new());
    for id in 0..2 {
        let (tx, mut rx) = mpsc::channel::<u64>(16);
        queues.push(tx);
        let (log, jobs) = (log.clone(), jobs.clone());
        workers.push(goprocess::go(move |_| async move {
            while let Some(job) = rx.recv().await {
                jobs.lock().unwrap().push(job);
            }
            log.lock().unwrap().push(format!("worker {id}: drained"));
        }));
    }
    let server = goprocess::go({
        let log = log.clone();
        move |me| async move {
            let mut accepted = 0;
            while tokio::select! {
                _ = me.closing() => false,
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
    let store = Store {
        jobs: jobs.clone(),
        log: log.clone(),
    }
    .start();
    let app = App {
        server,
        workers,
        store,
    }
    .start();

    tokio::time::sleep(Duration::from_millis(200)).await; // then "SIGTERM"
    app.process().close_within(Duration::from_secs(5)).await?;

    for line in log.lock().unwrap().iter() {
        println!("{line}");
    }
    println!("derived order: {:?}", App::shutdown_plan().stages());
    Ok(())
}
