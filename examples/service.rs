//! A small job service, started in order and shut down in order without
//! losing a job.
//!
//! - `store`: a journal file, flushed every 100 ms; its `#[init]` opens
//!   the file, its teardown writes what is left and syncs it. It closes
//!   only after the server and the workers, or jobs would be lost, so it
//!   is ready before either starts.
//! - `workers`: a dispatcher that takes jobs off a bounded queue and runs
//!   each in a rate-limited pool (at most four at once); its `#[init]`
//!   opens the queue and hands the receiving end to its `#[run]`; on
//!   shutdown it drains the queue first, then closes the pool once its
//!   last jobs are done.
//! - `http`: an axum server on 127.0.0.1 that accepts jobs (`POST /jobs`)
//!   into the queue; its `#[init]` binds the listener and hands it to its
//!   `#[run]`, which drains its connections on `closing()`. It starts last:
//!   the queue and the journal exist before it accepts a job.
//!
//! Each part is a `#[process]` struct built with `prepare()`, and `Service`
//! declares the order in which they close; they start in the mirror of
//! it. `main` hands the service to `signal::Shutdown::run`, which waits
//! until it is ready, then for Ctrl-C or SIGTERM, and closes it within a
//! grace budget (a second signal exits at once). By default a built-in
//! load generator sends jobs for a moment, then the service shuts itself
//! down as if SIGTERM had arrived, while the load is still running. It
//! prints the derived startup and shutdown plans, the live process tree,
//! the shutdown timeline, and checks that every accepted job is in the
//! journal.
//!
//! Run with `cargo run --example service`, or
//! `cargo run --example service -- --until-signal` to serve until Ctrl-C
//! or SIGTERM (try `curl -d hello http://ADDR/jobs` meanwhile).

use std::collections::BTreeSet;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use goprocess::introspect::Timeline;
use goprocess::prelude::*;
use goprocess::ratelimit::RateLimiter;
use goprocess::signal::Shutdown;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The close budget once a signal has arrived (SIGTERM's grace period):
/// past it, what is still running is aborted and reported, so the program
/// can never hang. Pick it below the orchestrator's own (Kubernetes: 30 s).
const GRACE: Duration = Duration::from_secs(10);
/// At a signal, readiness drops at once, and the close begins this much
/// later, so load balancers stop sending requests first.
const DRAIN_DELAY: Duration = Duration::from_millis(500);
/// How long the built-in load runs before the simulated SIGTERM.
const LOAD_FOR: Duration = Duration::from_millis(1500);
const QUEUE_CAPACITY: usize = 64;
const WORKERS: usize = 4;

// ---------------------------------------------------------------- service

#[process]
struct Service {
    #[child]
    http: Handle<HttpServer>,
    #[child]
    #[wait_for(http)]
    workers: Handle<Workers>, // drains the queue once nothing can add to it
    #[child]
    #[wait_for(http, workers)]
    store: Handle<Store>, // journals the last job before it closes
}

type Job = u64;

/// What the server has accepted (answered `202 Accepted` for).
#[derive(Default)]
struct Accepted {
    ids: Mutex<Vec<Job>>,
}

/// Where the server sends jobs: the queue the workers open when they
/// start (before the server does, in the derived order).
type Intake = Arc<OnceLock<mpsc::Sender<Job>>>;

// ------------------------------------------------------------------- http

#[process]
struct HttpServer {
    /// The address it listens on, once bound.
    addr: OnceLock<SocketAddr>,
    api: Api,
}

#[derive(Clone)]
struct Api {
    intake: Intake,
    next_id: Arc<AtomicU64>,
    accepted: Arc<Accepted>,
}

impl HttpServer {
    fn new(api: Api) -> HttpServer {
        HttpServer {
            addr: OnceLock::new(),
            api,
        }
    }

    /// Binds the listener; the server is ready once it is bound.
    #[init]
    async fn bind(&self) -> std::io::Result<TcpListener> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let _ = self.addr.set(addr);
        println!("http: listening on http://{addr}");
        Ok(listener)
    }

    /// Accepts jobs until the server is closing, then lets the requests in
    /// flight finish.
    #[run]
    async fn serve(&self, me: Process, listener: TcpListener) -> std::io::Result<()> {
        let app = Router::new()
            .route("/jobs", post(submit))
            .with_state(self.api.clone());
        axum::serve(listener, app)
            .with_graceful_shutdown(me.closing())
            .await
    }
}

async fn submit(State(api): State<Api>, _body: String) -> (StatusCode, String) {
    // Set before the server started: the workers start first.
    let Some(queue) = api.intake.get() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "not started\n".into());
    };
    let id = api.next_id.fetch_add(1, Ordering::Relaxed);
    // The id is recorded before the answer, under the same lock as the
    // send, so the record and the queue agree.
    let mut accepted = api.accepted.ids.lock().unwrap();
    match queue.try_send(id) {
        Ok(()) => {
            accepted.push(id);
            (StatusCode::ACCEPTED, format!("accepted {id}\n"))
        }
        Err(mpsc::error::TrySendError::Full(_)) => {
            (StatusCode::SERVICE_UNAVAILABLE, "queue full\n".into())
        }
        Err(mpsc::error::TrySendError::Closed(_)) => {
            (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n".into())
        }
    }
}

// ---------------------------------------------------------------- workers

#[process]
struct Workers {
    intake: Intake,
    journal: Arc<Journal>,
    /// The jobs in flight. It outlives the dispatcher, which hands it the
    /// last jobs while the struct is already closing, so it is not a
    /// `#[child]` (those start closing with the struct): `Workers` waits
    /// for it, and `dispatch` closes it once the queue is drained.
    #[wait_for]
    pool: RateLimiter,
}

impl Workers {
    fn new(intake: Intake, journal: Arc<Journal>) -> Workers {
        Workers {
            intake,
            journal,
            pool: RateLimiter::new(&Process::background(), WORKERS).named("pool"),
        }
    }

    /// Opens the queue: the server's end goes to the intake, the workers'
    /// end to `dispatch`, which owns it.
    #[init]
    async fn open_queue(&self) -> mpsc::Receiver<Job> {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let _ = self.intake.set(tx);
        println!("workers: queue open ({QUEUE_CAPACITY} jobs)");
        rx
    }

    /// Runs jobs until the struct is closing (`Service` closes it once the
    /// server has closed), then refuses late sends, drains the queue, and
    /// closes the pool, whose last jobs finish first.
    #[run]
    async fn dispatch(
        &self,
        me: Process,
        mut queue: mpsc::Receiver<Job>,
    ) -> Result<(), goprocess::Error> {
        loop {
            tokio::select! {
                biased;
                Some(job) = queue.recv() => run_job(&self.pool, &self.journal, job).await,
                _ = me.closing() => break,
            }
        }
        queue.close();
        while let Some(job) = queue.recv().await {
            run_job(&self.pool, &self.journal, job).await;
        }
        self.pool.process().close().await
    }
}

async fn run_job(pool: &RateLimiter, journal: &Arc<Journal>, job: Job) {
    let journal = journal.clone();
    // Waits for one of the WORKERS slots.
    pool.limited_go(move |me: Process| async move {
        let _ = me.named(format!("job {job}"));
        tokio::time::sleep(Duration::from_millis(3)).await; // the "work"
        journal.record(job);
    })
    .await;
}

// ------------------------------------------------------------------ store

/// Jobs done but not yet on disk, and the file they go to.
struct Journal {
    path: PathBuf,
    pending: Mutex<Vec<Job>>,
    flushes: AtomicUsize,
}

impl Journal {
    fn new(path: PathBuf) -> Journal {
        Journal {
            path,
            pending: Mutex::new(Vec::new()),
            flushes: AtomicUsize::new(0),
        }
    }

    fn record(&self, job: Job) {
        self.pending.lock().unwrap().push(job);
    }

    /// Appends the pending jobs to the file.
    fn flush(&self) -> std::io::Result<usize> {
        let jobs = std::mem::take(&mut *self.pending.lock().unwrap());
        let mut file = std::fs::OpenOptions::new().append(true).open(&self.path)?;
        let mut text = String::new();
        for job in &jobs {
            text.push_str(&format!("job {job}\n"));
        }
        file.write_all(text.as_bytes())?;
        self.flushes.fetch_add(1, Ordering::Relaxed);
        Ok(jobs.len())
    }
}

#[process]
struct Store {
    journal: Arc<Journal>,
}

impl Store {
    /// Creates the journal file: the store is ready once it can write.
    #[init]
    async fn open_journal(&self) -> std::io::Result<()> {
        std::fs::File::create(&self.journal.path)?;
        println!("store: journal open");
        Ok(())
    }

    /// Appends the jobs done to the file every 100 ms, until the store is
    /// closing.
    #[run]
    async fn flush_periodically(&self, me: Process) -> std::io::Result<()> {
        let mut ticks = tokio::time::interval(Duration::from_millis(100));
        loop {
            tokio::select! {
                _ = ticks.tick() => self.journal.flush().map(drop)?,
                _ = me.closing() => return Ok(()),
            }
        }
    }

    /// Runs once the flushing has stopped and everything before it has
    /// closed: writes what is left, syncs. It keeps 500 ms of the grace
    /// budget, so a stuck server is cut short in time for it.
    #[teardown(reserve = "500ms")]
    fn close_journal(&self) -> std::io::Result<()> {
        let last = self.journal.flush()?;
        std::fs::File::open(&self.journal.path)?.sync_all()?;
        println!("store: final flush wrote {last} jobs; journal synced");
        Ok(())
    }
}

// ------------------------------------------------------------------- main

#[tokio::main]
async fn main() -> ExitCode {
    let until_signal = std::env::args().any(|a| a == "--until-signal");
    let dir = std::env::temp_dir().join(format!("goprocess-service-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    let code = run(&dir, until_signal).await;
    let _ = std::fs::remove_dir_all(&dir);
    code
}

async fn run(dir: &Path, until_signal: bool) -> ExitCode {
    let journal = Arc::new(Journal::new(dir.join("journal.log")));
    let accepted = Arc::new(Accepted::default());
    let intake = Intake::default();
    let api = Api {
        intake: intake.clone(),
        next_id: Arc::new(AtomicU64::new(1)),
        accepted: accepted.clone(),
    };

    println!("== the derived startup plan (Service::startup_plan()) ==\n");
    print!("{}", Service::startup_plan());
    println!("\n== the derived shutdown plan (Service::shutdown_plan()) ==\n");
    print!("{}", Service::shutdown_plan());
    println!("\n== the start ==\n");

    // Each part is built, not started; `Service` starts them in its
    // derived order: the store, then the workers, then the server.
    let service = Service {
        http: HttpServer::new(api).prepare(),
        workers: Workers::new(intake, journal.clone()).prepare(),
        store: Store {
            journal: journal.clone(),
        }
        .prepare(),
    }
    .start();
    let demo = tokio::spawn(demo(service.clone(), until_signal));
    let closed = Shutdown::new()
        .grace(GRACE)
        .drain_delay(DRAIN_DELAY)
        .force_exit_on_second(true)
        .run(&service)
        .await;
    let Some(Demo {
        load,
        timeline,
        took,
    }) = demo.await.expect("the demo task")
    else {
        println!("service: failed to start: {}", closed.unwrap_err());
        return ExitCode::FAILURE;
    };

    println!("\n== the shutdown timeline ==\n");
    // One row per process, in the order they closed, with a bar from
    // closing to closed; the many short jobs are folded into one row.
    print!("{}", timeline.chart().fold("job "));
    println!("\nclosed in {took:.1?}");

    let mut ok = true;
    if let Err(e) = closed {
        println!("shutdown failed: {e}");
        ok = false;
    }

    println!("\n== the journal ==\n");
    println!(
        "load: {} requests, {} accepted, {} turned away (queue full or shutting down)",
        load.sent,
        load.acked.len(),
        load.sent - load.acked.len(),
    );
    println!(
        "store: {} periodic flushes",
        journal.flushes.load(Ordering::Relaxed)
    );
    let accepted: BTreeSet<Job> = accepted.ids.lock().unwrap().iter().copied().collect();
    let journaled = match std::fs::read_to_string(&journal.path) {
        Ok(text) => text
            .lines()
            .filter_map(|l| l.strip_prefix("job ")?.parse().ok())
            .collect::<Vec<Job>>(),
        Err(e) => {
            println!("cannot read the journal: {e}");
            Vec::new()
        }
    };
    let journaled_set: BTreeSet<Job> = journaled.iter().copied().collect();
    let lost: Vec<&Job> = accepted.difference(&journaled_set).collect();
    let unacked_lost = load.acked.iter().filter(|id| !journaled_set.contains(id));
    if lost.is_empty()
        && unacked_lost.count() == 0
        && journaled.len() == journaled_set.len()
        && journaled_set.is_subset(&accepted)
    {
        println!(
            "nothing lost: {} accepted, {} journaled",
            accepted.len(),
            journaled.len()
        );
    } else {
        println!(
            "LOST JOBS: {} accepted, {} journaled; missing: {lost:?}",
            accepted.len(),
            journaled.len()
        );
        ok = false;
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

// ------------------------------------------------------------------- demo

/// What the demonstration saw of the service.
struct Demo {
    load: LoadReport,
    timeline: Timeline,
    took: Duration,
}

/// The "outside world" and the printouts: once the service is ready, sends
/// it jobs; shows the live tree; then, by default, shuts the service down
/// as if SIGTERM had arrived (it closes by itself, and `Shutdown::run`
/// closes it within its grace budget), or waits for a real signal. `None`
/// if the service failed to start.
async fn demo(service: Handle<Service>, until_signal: bool) -> Option<Demo> {
    // Listens too, to say so when a signal arrives (`Shutdown::run` acts
    // on it).
    let signals = until_signal.then(goprocess::signal::shutdown_signals);
    Handle::ready(&service).await.ok()?;
    let addr = *service.http.addr.get().expect("bound before it was ready");
    println!("service: ready");
    let load = tokio::spawn(load(addr, if until_signal { 200 } else { 100_000 }));
    if let Some(signals) = signals {
        show_tree(&service);
        println!("\nservice: serving until Ctrl-C or SIGTERM (twice exits at once)");
        signals.closing().await;
        println!(
            "\nservice: signal received, draining for {DRAIN_DELAY:?}, then shutting down \
             (a second one exits at once)"
        );
    } else {
        tokio::time::sleep(LOAD_FOR).await;
        show_tree(&service);
        println!("\n== SIGTERM (simulated), with the load still running ==\n");
    }
    // From here on: the shutdown (with a drain delay, it begins later).
    let timeline = Timeline::new();
    timeline.attach(service.process());
    if !until_signal {
        service.process().request_close();
    }
    Handle::closing(&service).await;
    let started = Instant::now();
    Handle::closed(&service).await;
    let took = started.elapsed();
    let load = load.await.expect("the load generator");
    Some(Demo {
        load,
        timeline,
        took,
    })
}

fn show_tree(service: &Handle<Service>) {
    println!("\n== the live process tree ==\n");
    print!("{}", service.process().snapshot());
}

// ------------------------------------------------------------------- load

struct LoadReport {
    sent: usize,
    acked: Vec<Job>,
}

/// Eight clients, each sending one job per connection (plain HTTP/1.1 over
/// a TcpStream) until `max` requests in all, or until the server turns
/// them away.
async fn load(addr: SocketAddr, max: usize) -> LoadReport {
    let sent = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..8 {
        let sent = sent.clone();
        clients.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            while sent.fetch_add(1, Ordering::Relaxed) < max {
                match post_job(addr).await {
                    Ok(Some(id)) => acked.push(id),
                    Ok(None) => {}   // 503: queue full or shutting down
                    Err(_) => break, // the server has stopped listening
                }
            }
            acked
        }));
    }
    let mut acked = Vec::new();
    for c in clients {
        acked.extend(c.await.expect("a load client"));
    }
    let sent = sent.load(Ordering::Relaxed).min(max);
    LoadReport { sent, acked }
}

/// One `POST /jobs`; `Some(id)` if the server accepted the job.
async fn post_job(addr: SocketAddr) -> std::io::Result<Option<Job>> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await?;
        let body = "resize image.png";
        let request = format!(
            "POST /jobs HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await?;
        let mut response = String::new();
        stream.read_to_string(&mut response).await?;
        Ok::<_, std::io::Error>(response)
    };
    let response = tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .map_err(|_| std::io::Error::other("timed out"))??;
    if !response.starts_with("HTTP/1.1 202") {
        if response.is_empty() {
            return Err(std::io::Error::other("connection closed without an answer"));
        }
        return Ok(None);
    }
    let id = response
        .lines()
        .find_map(|l| l.strip_prefix("accepted "))
        .and_then(|id| id.trim().parse().ok());
    Ok(id)
}
