//! How `#[process]` structs start: `#[init]` first, then the prepared
//! `#[child]` fields stage by stage in the reverse of the shutdown stages,
//! then `#[run]`; readiness; rollback of a failed start; `prepare` and
//! `launch`; the init's value handed to the run.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Log, tasks, tasks_back_to, within};
use goprocess::events::Event;
use goprocess::prelude::*;
use goprocess::{CloseCause, ErrorKind, init};
use tokio::sync::Notify;

/// What a part's `#[init]` does.
#[derive(Clone)]
enum Init {
    Ok,
    /// Waits until notified.
    Gate(Arc<Notify>),
    Fail,
    Panic,
    /// Never returns (but records when its future is dropped).
    Hang,
}

#[derive(Debug)]
struct Refused(&'static str);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} refused to start", self.0)
    }
}

impl std::error::Error for Refused {}

/// Records `"<name> dropped its init"` when the init's future is dropped
/// before it returned.
struct DropGuard {
    log: Log,
    name: &'static str,
    armed: bool,
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if self.armed {
            self.log.push(format!("{} dropped its init", self.name));
        }
    }
}

/// A part with an init, a run and a teardown, each recorded.
#[process]
struct Part {
    name: &'static str,
    log: Log,
    init: Init,
}

impl Part {
    fn new(name: &'static str, log: &Log, init: Init) -> Part {
        Part {
            name,
            log: log.clone(),
            init,
        }
    }

    #[init]
    async fn open(&self) -> Result<(), Refused> {
        self.log.push(format!("{} init", self.name));
        let mut guard = DropGuard {
            log: self.log.clone(),
            name: self.name,
            armed: true,
        };
        let result = match &self.init {
            Init::Ok => Ok(()),
            Init::Gate(gate) => {
                gate.notified().await;
                Ok(())
            }
            Init::Fail => Err(Refused(self.name)),
            Init::Panic => panic!("{} blew up", self.name),
            Init::Hang => std::future::pending().await,
        };
        guard.armed = false;
        result
    }

    #[run]
    async fn serve(&self, me: Process) {
        self.log.push(format!("{} run", self.name));
        me.closing().await;
    }

    #[teardown]
    fn close(&self) {
        self.log.push(format!("{} closed", self.name));
    }
}

/// Three parts that close in a chain: `http`, then `workers`, then
/// `store`. So they start `store`, then `workers`, then `http`.
#[process]
struct Service {
    log: Log,
    #[child]
    http: Handle<Part>,
    #[child]
    #[wait_for(http)]
    workers: Handle<Part>,
    #[child]
    #[wait_for(http, workers)]
    store: Handle<Part>,
}

impl Service {
    #[init]
    async fn load(&self) {
        self.log.push("Service init");
    }

    #[run]
    async fn serve(&self, me: Process) {
        self.log.push("Service run");
        me.closing().await;
    }

    #[teardown]
    fn close(&self) {
        self.log.push("Service closed");
    }
}

fn service(log: &Log, inits: [Init; 3]) -> Service {
    let [http, workers, store] = inits;
    Service {
        log: log.clone(),
        http: Part::new("http", log, http).prepare(),
        workers: Part::new("workers", log, workers).prepare(),
        store: Part::new("store", log, store).prepare(),
    }
}

/// Records readiness and failed starts of `p`'s subtree into `log`.
fn record_readiness(p: &Process, log: &Log) {
    let log = log.clone();
    p.on_event(move |event| match event {
        Event::Ready { process } => log.push(format!("{process} ready")),
        Event::StartFailed { process, .. } => log.push(format!("{process} start failed")),
        _ => {}
    });
}

// ------------------------------------------------------------ the order

/// On one thread the order is exact: the struct's init, then each stage's
/// init (once the stage before is ready), then the struct's run.
#[tokio::test]
async fn a_struct_starts_in_the_mirror_of_its_shutdown() {
    let log = Log::new();
    let app = service(&log, [Init::Ok, Init::Ok, Init::Ok]).prepare();
    record_readiness(app.process(), &log);
    Handle::launch(&app);
    within(Handle::ready(&app)).await.unwrap();
    within(async {
        while !log.events().contains(&"Service run".to_string()) {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert_eq!(
        log.events(),
        [
            "Service init",
            "store init",
            "store ready",
            "store run",
            "workers init",
            "workers ready",
            "workers run",
            "http init",
            "http ready",
            "Service ready",
            "http run",
            "Service run",
        ]
    );
    within(Handle::close(&app)).await.unwrap();
    // And it shuts down in the derived order, the mirror of its start.
    let events = log.events();
    let closed: Vec<&str> = events
        .iter()
        .map(String::as_str)
        .filter(|e| e.ends_with(" closed"))
        .collect();
    assert_eq!(
        closed,
        [
            "http closed",
            "workers closed",
            "store closed",
            "Service closed"
        ]
    );
}

/// A field that closes after another is ready before the other's init
/// begins, also on many threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_stage_is_ready_before_the_next_begins() {
    for _ in 0..200 {
        let log = Log::new();
        let app = service(&log, [Init::Ok, Init::Ok, Init::Ok]).start();
        within(Handle::ready(&app)).await.unwrap();
        assert!(log.pos("store init") < log.pos("workers init"));
        assert!(log.pos("workers init") < log.pos("http init"));
        assert!(log.pos("Service init") < log.pos("store init"));
        within(Handle::close(&app)).await.unwrap();
    }
}

/// The fields of one stage start concurrently: neither waits for the
/// other's init.
#[tokio::test]
async fn the_fields_of_one_stage_start_together() {
    #[process]
    struct Pair {
        #[child]
        a: Handle<Part>,
        #[child]
        b: Handle<Part>,
    }
    let log = Log::new();
    let (gate_a, gate_b) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let pair = Pair {
        a: Part::new("a", &log, Init::Gate(gate_a.clone())).prepare(),
        b: Part::new("b", &log, Init::Gate(gate_b.clone())).prepare(),
    }
    .start();
    within(async {
        while log.events().len() < 2 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert_eq!(log.events(), ["a init", "b init"]); // both began
    assert!(!pair.process().is_ready());
    gate_b.notify_one();
    gate_a.notify_one();
    within(Handle::ready(&pair)).await.unwrap();
    within(Handle::close(&pair)).await.unwrap();
}

// ------------------------------------------------------------ readiness

#[tokio::test]
async fn a_struct_is_ready_once_its_init_returned_and_its_fields_are_ready() {
    let log = Log::new();
    let gate = Arc::new(Notify::new());
    let part = Part::new("db", &log, Init::Gate(gate.clone())).start();
    assert!(!part.process().is_ready(), "its init has not returned");
    let health = part.process().health().to_string();
    assert!(health.contains("#[init] `open`"), "{health}");
    tokio::task::yield_now().await;
    assert!(!part.process().is_ready());
    gate.notify_one();
    within(Handle::ready(&part)).await.unwrap();
    within(Handle::close(&part)).await.unwrap();
}

#[tokio::test]
async fn a_prepared_struct_is_not_ready_until_it_is_launched() {
    let log = Log::new();
    let gate = Arc::new(Notify::new());
    let part = Part::new("db", &log, Init::Gate(gate.clone())).prepare();
    tokio::task::yield_now().await;
    assert!(log.events().is_empty(), "nothing runs before the launch");
    assert!(!part.process().is_ready());
    let health = part.process().health().to_string();
    assert!(health.contains("launch()"), "{health}");
    Handle::launch(&part);
    Handle::launch(&part); // a second launch does nothing
    within(async {
        while log.events().is_empty() {
            tokio::task::yield_now().await;
        }
    })
    .await;
    let health = part.process().health().to_string();
    assert!(health.contains("#[init] `open`"), "{health}");
    gate.notify_one();
    within(Handle::ready(&part)).await.unwrap();
    within(Handle::close(&part)).await.unwrap();
    assert_eq!(
        log.events(),
        ["db init", "db run", "db closed"],
        "the init and the run ran once"
    );
}

/// A struct without `#[init]` or `#[run]` whose fields are prepared starts
/// them itself, in order, without a task when none needs waiting for.
#[tokio::test]
async fn a_plain_struct_launches_its_prepared_fields() {
    #[process]
    struct Leaf {}
    #[process]
    struct Plain {
        #[child]
        first: Handle<Leaf>,
        #[child]
        #[wait_for(first)]
        second: Handle<Leaf>,
    }
    let before = tasks();
    let plain = Plain {
        first: Leaf {}.prepare(),
        second: Leaf {}.prepare(),
    }
    .start();
    assert!(plain.process().is_ready(), "ready at once");
    assert_eq!(tasks(), before, "no task");
    within(Handle::close(&plain)).await.unwrap();
}

// ------------------------------------------------------------ the init's value

#[process]
struct Listener {
    port: u16,
    log: Log,
}

struct Socket {
    port: u16,
}

impl Listener {
    #[init]
    async fn bind(&self) -> std::io::Result<Socket> {
        Ok(Socket { port: self.port })
    }

    #[run]
    async fn serve(&self, me: Process, socket: Socket) {
        self.log.push(format!("serving on {}", socket.port));
        me.closing().await;
    }
}

#[tokio::test]
async fn the_inits_value_is_handed_to_the_run() {
    let log = Log::new();
    let listener = Listener {
        port: 8080,
        log: log.clone(),
    }
    .start();
    within(Handle::ready(&listener)).await.unwrap();
    within(async {
        while log.events().is_empty() {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert_eq!(log.events(), ["serving on 8080"]);
    within(Handle::close(&listener)).await.unwrap();
}

/// A plain value (no `Result`), and a run that takes only the value.
#[tokio::test]
async fn a_run_may_take_only_the_value() {
    #[process]
    struct Counter {
        log: Log,
    }
    impl Counter {
        #[init]
        async fn count(&self) -> usize {
            41
        }

        #[run]
        async fn report(&self, count: usize) {
            self.log.push(format!("counted {}", count + 1));
        }
    }
    let log = Log::new();
    let counter = Counter { log: log.clone() }.start();
    within(Handle::closed(&counter)).await; // the run returned: closed
    assert_eq!(log.events(), ["counted 42"]);
    within(Handle::err(&counter)).await.unwrap();
}

// ------------------------------------------------------------ rollback

/// A failure in the last stage while the first stage's runs already
/// serve: the service closes (cause StartFailed) in its derived order, and
/// every error names the init that failed.
#[tokio::test]
async fn a_failure_in_the_last_stage_rolls_back_what_serves() {
    let log = Log::new();
    let app = service(&log, [Init::Fail, Init::Ok, Init::Ok]).start();
    let err = within(Handle::ready(&app)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StartFailed, "{err}");
    assert!(err.downcast_ref::<Refused>().is_some(), "{err:#}");
    within(Handle::closed(&app)).await;
    assert_eq!(app.process().close_cause(), Some(CloseCause::StartFailed));
    let events = log.events();
    assert!(events.contains(&"store run".to_string()), "{events:?}");
    assert!(events.contains(&"workers run".to_string()), "{events:?}");
    assert!(!events.contains(&"http run".to_string()), "{events:?}");
    assert!(!events.contains(&"Service run".to_string()), "{events:?}");
    let closed: Vec<&str> = events
        .iter()
        .map(String::as_str)
        .filter(|e| e.ends_with(" closed"))
        .collect();
    assert_eq!(
        closed,
        [
            "http closed",
            "workers closed",
            "store closed",
            "Service closed"
        ]
    );
    let result = within(Handle::err(&app)).await.unwrap_err();
    assert!(result.downcast_ref::<Refused>().is_some(), "{result:#}");
    let http = within(Handle::err(&app.http)).await.unwrap_err();
    assert_eq!(http.kind(), ErrorKind::StartFailed, "{http}");
    assert!(
        http.to_string()
            .contains("#[init] `open`: http refused to start"),
        "{http}"
    );
}

/// The first stage fails: nothing after it ever starts.
#[tokio::test]
async fn the_parts_after_a_failed_stage_never_start() {
    let log = Log::new();
    let app = service(&log, [Init::Ok, Init::Ok, Init::Fail]).start();
    within(Handle::closed(&app)).await;
    let events = log.events();
    assert!(!events.iter().any(|e| e.starts_with("workers init")));
    assert!(!events.iter().any(|e| e.starts_with("http init")));
    // Every teardown ran exactly once, the unlaunched parts' too.
    for part in ["http", "workers", "store", "Service"] {
        let closed = format!("{part} closed");
        assert_eq!(
            events.iter().filter(|e| **e == closed).count(),
            1,
            "{events:?}"
        );
    }
    // A part that never started closed cleanly.
    within(Handle::err(&app.http)).await.unwrap();
    assert_eq!(
        within(Handle::ready(&app.http)).await.unwrap_err().kind(),
        ErrorKind::StartFailed
    );
}

#[tokio::test]
async fn an_init_that_panics_fails_the_start() {
    let log = Log::new();
    let app = service(&log, [Init::Ok, Init::Panic, Init::Ok]).start();
    let err = within(Handle::ready(&app)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StartFailed, "{err}");
    within(Handle::closed(&app)).await;
    let workers = within(Handle::err(&app.workers)).await.unwrap_err();
    assert_eq!(workers.kind(), ErrorKind::Panic);
    assert_eq!(workers.panic_message(), Some("workers blew up"));
    let events = log.events();
    assert!(
        !events.iter().any(|e| e.starts_with("http init")),
        "{events:?}"
    );
    assert_eq!(
        events.iter().filter(|e| *e == "workers closed").count(),
        1,
        "{events:?}"
    );
}

/// An init that never returns, under a start budget: the budget names it,
/// the start is rolled back at once (the init's future is dropped, it does
/// not hold the close), and nothing after it starts.
#[tokio::test(start_paused = true)]
async fn an_init_that_never_returns_is_dropped_when_the_budget_runs_out() {
    let log = Log::new();
    let app = service(&log, [Init::Ok, Init::Hang, Init::Ok]).start();
    let started = tokio::time::Instant::now();
    let err = within(app.process().ready_within(Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StartTimeout);
    assert!(
        err.to_string()
            .contains("`Service/workers` (not ready for 5.0s; waits for #[init] `open`)"),
        "{err}"
    );
    within(Handle::closed(&app)).await;
    assert_eq!(started.elapsed(), Duration::from_secs(5), "closed at once");
    let events = log.events();
    assert!(
        events.contains(&"workers dropped its init".to_string()),
        "{events:?}"
    );
    assert!(
        !events.iter().any(|e| e.starts_with("http init")),
        "{events:?}"
    );
    assert_eq!(app.process().close_cause(), Some(CloseCause::StartFailed));
}

// ------------------------------------------------------------ closing during the start

#[tokio::test]
async fn closing_the_root_from_outside_while_it_starts() {
    let log = Log::new();
    let gate = Arc::new(Notify::new());
    let app = service(&log, [Init::Ok, Init::Gate(gate), Init::Ok]).start();
    within(async {
        while !log.events().contains(&"workers init".to_string()) {
            tokio::task::yield_now().await;
        }
    })
    .await;
    within(Handle::close(&app)).await.unwrap(); // no failure of its own
    let events = log.events();
    assert!(
        events.contains(&"workers dropped its init".to_string()),
        "{events:?}"
    );
    assert!(
        !events.iter().any(|e| e.starts_with("http init")),
        "{events:?}"
    );
    assert!(!events.contains(&"Service run".to_string()), "{events:?}");
    assert_eq!(
        within(Handle::ready(&app)).await.unwrap_err().kind(),
        ErrorKind::StartFailed
    );
}

#[tokio::test]
async fn closing_the_root_from_an_init() {
    #[process]
    struct Quitter {
        log: Log,
        #[child]
        later: Handle<Part>,
    }
    impl Quitter {
        #[init]
        async fn give_up(&self, me: Process) {
            // From inside: starts the close and returns at once.
            me.close().await.unwrap();
            self.log.push("Quitter asked to close");
        }

        #[run]
        async fn serve(&self) {
            self.log.push("Quitter run");
        }
    }
    let log = Log::new();
    let app = Quitter {
        log: log.clone(),
        later: Part::new("later", &log, Init::Ok).prepare(),
    }
    .start();
    within(Handle::closed(&app)).await;
    within(Handle::err(&app)).await.unwrap();
    // The unlaunched part closed within the close call; the init went on
    // to its end, and nothing after it started.
    assert_eq!(log.events(), ["later closed", "Quitter asked to close"]);
}

/// A signal while the app starts aborts the start: the init is dropped,
/// `Shutdown::run` returns, the cause is the signal.
#[cfg(unix)]
#[tokio::test]
async fn a_signal_while_the_root_starts() {
    use goprocess::signal::{Shutdown, SignalKind};
    let log = Log::new();
    let gate = Arc::new(Notify::new());
    let app = service(&log, [Init::Ok, Init::Gate(gate), Init::Ok]).start();
    let run = tokio::spawn(
        Shutdown::new()
            .signals([SignalKind::user_defined1()])
            .run(&app),
    );
    within(async {
        while !log.events().contains(&"workers init".to_string()) {
            tokio::task::yield_now().await;
        }
    })
    .await;
    common::raise("USR1");
    within(run).await.unwrap().unwrap();
    assert!(app.process().is_closed());
    assert_eq!(
        app.process().close_cause(),
        Some(CloseCause::Signal("SIGUSR1".into()))
    );
    let events = log.events();
    assert!(
        events.contains(&"workers dropped its init".to_string()),
        "{events:?}"
    );
    assert!(
        !events.iter().any(|e| e.starts_with("http init")),
        "{events:?}"
    );
}

/// Closed before its task first ran: a struct with an init starts nothing
/// (neither its init nor its run); one with nothing to start runs its run,
/// as a `go` function does, which sees its close at once.
#[tokio::test]
async fn closed_before_its_task_ran() {
    #[process]
    struct WithInit {
        log: Log,
    }
    impl WithInit {
        #[init]
        async fn open(&self) {
            self.log.push("init");
        }
        #[run]
        async fn serve(&self) {
            self.log.push("run");
        }
    }
    #[process]
    struct RunOnly {
        log: Log,
    }
    impl RunOnly {
        #[run]
        async fn serve(&self, me: Process) {
            self.log.push("run");
            me.closing().await;
            self.log.push("run returned");
        }
    }
    let log = Log::new();
    let s = WithInit { log: log.clone() }.start();
    s.process().request_close(); // on this thread, before its task ran
    within(Handle::err(&s)).await.unwrap();
    assert!(log.events().is_empty(), "{:?}", log.events());
    let s = RunOnly { log: log.clone() }.start();
    s.process().request_close();
    within(Handle::err(&s)).await.unwrap();
    assert_eq!(log.events(), ["run", "run returned"]);
}

// ------------------------------------------------------------ prepared, never launched

#[tokio::test]
async fn a_prepared_struct_never_launched_closes_cleanly() {
    struct Dropped(Arc<AtomicUsize>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    #[process]
    struct Idle {
        _dropped: Dropped,
        #[child]
        part: Handle<Part>,
    }
    impl Idle {
        #[init]
        async fn never(&self) {
            unreachable!("never launched");
        }
    }
    let before = tasks();
    let dropped = Arc::new(AtomicUsize::new(0));
    let log = Log::new();
    let idle = Idle {
        _dropped: Dropped(dropped.clone()),
        part: Part::new("part", &log, Init::Ok).prepare(),
    }
    .prepare();
    tokio::task::yield_now().await;
    assert_eq!(tasks(), before, "a prepared struct runs no task");
    within(Handle::close(&idle)).await.unwrap();
    assert_eq!(
        log.events(),
        ["part closed"],
        "its teardowns ran, nothing else"
    );
    assert_eq!(
        within(Handle::ready(&idle)).await.unwrap_err().kind(),
        ErrorKind::StartFailed
    );
    Handle::launch(&idle); // too late: nothing
    tasks_back_to(before).await;
    drop(idle);
    assert_eq!(dropped.load(Ordering::SeqCst), 1, "no leak");
}

// ------------------------------------------------------------ start() and prepare() mixed

/// A field built with `start()` runs at once and is not reordered; the
/// struct still waits for its readiness.
#[tokio::test]
async fn started_and_prepared_fields_mixed() {
    #[process]
    struct Mixed {
        log: Log,
        #[child]
        http: Handle<Part>, // prepared: starts after db is ready
        #[child]
        #[wait_for(http)]
        db: Handle<Part>, // started already: not reordered
    }
    impl Mixed {
        #[init]
        async fn load(&self) {
            self.log.push("Mixed init");
        }
    }
    let log = Log::new();
    let gate = Arc::new(Notify::new());
    let db = Part::new("db", &log, Init::Gate(gate.clone())).start();
    within(async {
        while log.events().is_empty() {
            tokio::task::yield_now().await;
        }
    })
    .await;
    let app = Mixed {
        log: log.clone(),
        http: Part::new("http", &log, Init::Ok).prepare(),
        db,
    }
    .start();
    within(async {
        while !log.events().contains(&"http init".to_string()) {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(!app.process().is_ready(), "db is not ready yet");
    assert_eq!(&log.events()[..3], ["db init", "Mixed init", "http init"]);
    gate.notify_one();
    within(Handle::ready(&app)).await.unwrap();
    within(Handle::close(&app)).await.unwrap();
}

// ------------------------------------------------------------ the order as a wait

/// The start order comes from the same declarations as the shutdown order,
/// so it cannot contradict it: a `wait_for` that would contradict the
/// sibling order is refused as a cycle when the struct is built, and
/// nothing of it starts.
#[tokio::test]
async fn a_wait_for_that_contradicts_the_order_is_refused() {
    #[process]
    struct Ordered {
        #[child]
        http: Handle<Part>,
        #[child]
        #[wait_for(http)]
        db: Handle<Part>,
    }
    let log = Log::new();
    let http = Part::new("http", &log, Init::Ok).prepare();
    let db = Part::new("db", &log, Init::Ok).prepare();
    // http would wait for db to close, while db closes after http.
    http.process().wait_for(db.process()).unwrap();
    let app = Ordered { http, db }.start();
    let err = within(Handle::err(&app)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cycle, "{err}");
    assert!(err.to_string().contains("field `Ordered.db`"), "{err}");
    assert!(
        !log.events().iter().any(|e| e.ends_with(" init")),
        "nothing started: {:?}",
        log.events()
    );
    // And one added after the start is refused the same way.
    let http = Part::new("http", &log, Init::Ok).prepare();
    let db = Part::new("db", &log, Init::Ok).prepare();
    let app = Ordered { http, db }.start();
    within(Handle::ready(&app)).await.unwrap();
    let refused = app.http.process().wait_for(app.db.process()).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Cycle);
    within(Handle::close(&app)).await.unwrap();
}

// ------------------------------------------------------------ many at once

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_structs_start_at_once() {
    #[process]
    struct Unit {
        #[child]
        inner: Handle<Leaf>,
    }
    #[process]
    struct Leaf {}
    impl Leaf {
        #[init]
        async fn open(&self) {
            tokio::task::yield_now().await;
        }
    }
    impl Unit {
        #[init]
        async fn open(&self) {}
    }
    let root = Process::new().named("root");
    let units: Vec<Handle<Unit>> = (0..10_000)
        .map(|_| {
            Unit {
                inner: Leaf {}.prepare(),
            }
            .start_with_parent(&root)
        })
        .collect();
    within(root.ready()).await.unwrap();
    assert!(units.iter().all(|u| u.process().is_ready()));
    within(root.close()).await.unwrap();
    assert!(units.iter().all(|u| u.inner.process().is_closed()));
}
