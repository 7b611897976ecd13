//! A small service shut down in order: a job source feeds workers, which
//! write to a store; the store must close only after every worker has
//! finished, and nothing accepted may be lost.
//!
//! Run with `cargo run --example service`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use goprocess::Process;
use tokio::sync::mpsc;

#[tokio::main]
async fn main() -> Result<(), goprocess::Error> {
    let app = Process::new().named("app");

    // The store: closes last, after everything that writes to it.
    let journal = Arc::new(Mutex::new(Vec::<u32>::new()));
    let j = journal.clone();
    let store = Process::with_teardown(move || {
        println!("store: flushing {} jobs", j.lock().unwrap().len());
        Ok(())
    })
    .named("store");
    app.add_child(&store)?;

    // Workers: each drains its queue until the source is gone.
    let workers = Process::with_parent(&app).named("workers");
    store.wait_for(&workers)?;
    let mut queues = Vec::new();
    for id in 0..3 {
        let (tx, mut rx) = mpsc::channel::<u32>(16);
        queues.push(tx);
        let journal = journal.clone();
        workers.go(move |_| async move {
            while let Some(job) = rx.recv().await {
                tokio::time::sleep(Duration::from_millis(1)).await;
                journal.lock().unwrap().push(job);
            }
            println!("worker {id}: queue drained");
        });
    }

    // The source: produces jobs until the app starts closing.
    let accepted = Arc::new(Mutex::new(0u32));
    let a = accepted.clone();
    app.go(move |me| async move {
        let mut next = 0u32;
        loop {
            tokio::select! {
                _ = me.closing() => break,
                _ = tokio::time::sleep(Duration::from_millis(2)) => {
                    let queue = &queues[next as usize % queues.len()];
                    if queue.send(next).await.is_ok() {
                        *a.lock().unwrap() += 1;
                        next += 1;
                    }
                }
            }
        }
        println!("source: stopped after {next} jobs");
        // Dropping the queues lets the workers drain and return.
    });

    tokio::time::sleep(Duration::from_millis(300)).await;
    println!("shutting down");
    app.close().await?;

    let (accepted, written) = (
        *accepted.lock().unwrap(),
        journal.lock().unwrap().len() as u32,
    );
    println!("accepted {accepted} jobs, journal holds {written}");
    assert_eq!(accepted, written, "a job was lost");
    println!("nothing lost");
    Ok(())
}
