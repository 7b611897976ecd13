//! A worker pool under a supervisor: a worker that crashes on a poison job
//! is restarted (after a short backoff), the others keep working; after
//! too many crashes in the window the supervisor gives up, and since its
//! failure propagates, the whole service shuts down in its declared order:
//! the intake first, then the pool, then the journal, which writes what
//! the workers did. It prints the restarts as they happen, the shutdown
//! timeline with every run of every worker, and the chain of close causes.
//!
//! Run with `cargo run --example supervised` (about a second).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use goprocess::events::Event;
use goprocess::introspect::Timeline;
use goprocess::prelude::*;
use goprocess::supervise::{Restart, Strategy, Supervisor};
use goprocess::{CloseCause, OnFailure};
use tokio::sync::mpsc;

/// Every `POISON`th job crashes the worker that takes it.
const POISON: u64 = 7;
const JOB_EVERY: Duration = Duration::from_millis(15);
const WORKERS: usize = 2;
/// The pool gives up at the fourth crash within this window.
const MAX_RESTARTS: u32 = 3;
const WINDOW: Duration = Duration::from_secs(5);

#[process]
struct Service {
    #[child]
    intake: Process, // produces jobs
    #[child]
    #[wait_for(intake)]
    pool: Supervisor, // runs them
    // After both: the pool may have closed long before the intake (it
    // failed), and the journal must still close after everything that
    // could feed it.
    #[child]
    #[wait_for(intake, pool)]
    journal: Process, // writes what was done, last
}

impl Service {
    #[teardown]
    fn done(&self) {
        println!("service: torn down");
    }
}

type Queue = Arc<tokio::sync::Mutex<mpsc::Receiver<u64>>>;

/// A worker: takes jobs off the queue until its process closes; a poison
/// job makes it panic.
async fn work(me: Process, queue: Queue, done: Arc<Mutex<Vec<u64>>>) {
    loop {
        let job = tokio::select! {
            _ = me.closing() => return,
            job = async { queue.lock().await.recv().await } => job,
        };
        let Some(job) = job else { return };
        if job % POISON == 0 {
            panic!("poison job {job}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await; // the work
        done.lock().unwrap().push(job);
    }
}

#[tokio::main]
async fn main() {
    // The panics are the workers' crashes: show them as one line.
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        println!("  (a worker panicked: {message})");
    }));

    let (tx, rx) = mpsc::channel::<u64>(16);
    let queue: Queue = Arc::new(tokio::sync::Mutex::new(rx));
    let done = Arc::new(Mutex::new(Vec::new()));

    let sent = Arc::new(AtomicU64::new(0));
    let s = sent.clone();
    let intake = goprocess::go(move |me| async move {
        let mut ticks = tokio::time::interval(JOB_EVERY);
        for job in 1.. {
            tokio::select! {
                _ = me.closing() => break,
                _ = ticks.tick() => {}
            }
            if tx.send(job).await.is_err() {
                break;
            }
            s.store(job, Ordering::SeqCst);
        }
        println!("intake: stopped after job {}", s.load(Ordering::SeqCst));
    })
    .named("intake");

    // A root supervisor: the `Service` struct adopts it as its `pool`
    // field, and closes it in the struct's order.
    let pool = Supervisor::root(Strategy::OneForOne)
        .max_restarts(MAX_RESTARTS, WINDOW)
        .backoff(Duration::from_millis(20), Duration::from_millis(160))
        // When the pool gives up, the service must not run on without it.
        .on_failure(OnFailure::Propagate);
    for i in 1..=WORKERS {
        let (queue, done) = (queue.clone(), done.clone());
        pool.child_spec(format!("worker {i}"), Restart::Permanent, move |me| {
            work(me, queue.clone(), done.clone())
        })
        // A worker has 100 ms to finish its job when told to stop.
        .shutdown(Duration::from_millis(100))
        .start()
        .expect("the pool is running");
    }

    let journal = Process::new().named("journal");
    let d = done.clone();
    journal
        .set_teardown(move || {
            println!("journal: wrote {} finished jobs", d.lock().unwrap().len());
            Ok(())
        })
        .expect("a new process has no teardown");

    let service = Service {
        intake,
        pool,
        journal,
    }
    .start();
    let timeline = Timeline::new();
    timeline.attach(service.process());
    service.process().on_event(|event| match event {
        Event::Restarted {
            supervisor,
            child,
            restarts,
            ..
        } => println!("{supervisor}: restarted `{child}` (restart {restarts})"),
        Event::GaveUp { supervisor, error } => println!("{supervisor}: {}", error.kind()),
        _ => {}
    });

    // Nobody closes the service: the pool's failure does.
    let result = tokio::time::timeout(Duration::from_secs(10), service.process().err())
        .await
        .expect("the service shuts itself down");
    let error = result.expect_err("the pool gave up");

    println!("\n== the shutdown timeline ==");
    print!("{}", timeline.chart().width(24));

    println!("\n== why each part closed ==");
    for row in timeline.rows() {
        let cause = row.cause().map(CloseCause::to_string).unwrap_or_default();
        println!("{:<9} {cause}", row.name());
    }

    println!("\n== the service's error ==");
    error.walk(|path, e| {
        let at = if path.is_empty() {
            "Service".to_string()
        } else {
            path.join("/")
        };
        println!("{at}: {}", e.kind());
    });
    let sent = sent.load(Ordering::SeqCst);
    println!(
        "\n{sent} jobs sent, {} finished, {} poison",
        done.lock().unwrap().len(),
        sent / POISON
    );
}
