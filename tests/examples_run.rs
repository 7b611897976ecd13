//! Runs every example binary and checks what it prints: `service` exits 0,
//! starts its parts in the derived order, prints both plans, the live
//! tree, the shutdown timeline and the nothing-lost line, and exits 130 on
//! a second Ctrl-C;
//! every other example exits 0 with its key lines.
//!
//! The examples are built once, by `cargo build --workspace --examples` into
//! the target directory of this test (a no-op when `cargo test --workspace`
//! has just built them).
//! Each run has a timeout; a hung example is killed and its output shown.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Generous: the slowest example (`signals` without a signal) ends in 7 s.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The repository root (the workspace).
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package is a folder of the workspace")
}

/// `target/<profile>/examples`, built once for all tests.
fn examples_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test's own path");
        let profile_dir = exe
            .parent() // deps
            .and_then(|d| d.parent()) // debug or release
            .expect("the test runs from target/<profile>/deps")
            .to_path_buf();
        let target_dir = profile_dir.parent().expect("the target directory");
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args([
                "build",
                "--quiet",
                "--workspace",
                "--examples",
                "--manifest-path",
            ])
            .arg(root().join("Cargo.toml"))
            .arg("--target-dir")
            .arg(target_dir);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cargo.arg("--release");
        }
        let status = cargo.status().expect("cargo runs");
        assert!(
            status.success(),
            "cargo build --workspace --examples failed"
        );
        profile_dir.join("examples")
    })
}

struct Running {
    name: String,
    child: Child,
    lines: Receiver<String>,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

fn start(name: &str, args: &[&str]) -> Running {
    start_with_env(name, args, &[])
}

fn start_with_env(name: &str, args: &[&str], env: &[(&str, &Path)]) -> Running {
    let path = examples_dir().join(name);
    let mut child = Command::new(&path)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()));
    let (tx, lines) = channel();
    let stdout = Arc::new(Mutex::new(String::new()));
    let stderr = Arc::new(Mutex::new(String::new()));
    let out = child.stdout.take().expect("piped stdout");
    let err = child.stderr.take().expect("piped stderr");
    let readers = vec![
        std::thread::spawn({
            let stdout = stdout.clone();
            move || {
                for line in BufReader::new(out).lines() {
                    let Ok(line) = line else { break };
                    stdout.lock().unwrap().push_str(&format!("{line}\n"));
                    let _ = tx.send(line);
                }
            }
        }),
        std::thread::spawn({
            let stderr = stderr.clone();
            move || {
                let mut text = String::new();
                let _ = BufReader::new(err).read_to_string(&mut text);
                stderr.lock().unwrap().push_str(&text);
            }
        }),
    ];
    Running {
        name: name.to_string(),
        child,
        lines,
        stdout,
        stderr,
        readers,
    }
}

impl Running {
    /// Waits until the example prints a line containing `needle`.
    fn wait_for_line(&self, needle: &str) {
        let deadline = std::time::Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return,
                Ok(_) => {}
                Err(_) => panic!(
                    "{}: no line with {needle:?}; stdout so far:\n{}\nstderr:\n{}",
                    self.name,
                    self.stdout.lock().unwrap(),
                    self.stderr.lock().unwrap()
                ),
            }
        }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits for the example to exit (killing it after `TIMEOUT`).
    fn finish(mut self) -> Finished {
        let (tx, rx) = channel();
        let pid = self.child.id();
        let mut child = self.child;
        let waiter = std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        let status = match rx.recv_timeout(TIMEOUT) {
            Ok(status) => status.expect("wait for the example"),
            Err(_) => {
                let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
                let _ = waiter.join();
                for r in self.readers.drain(..) {
                    let _ = r.join();
                }
                panic!(
                    "{} did not exit within {TIMEOUT:?}; stdout:\n{}\nstderr:\n{}",
                    self.name,
                    self.stdout.lock().unwrap(),
                    self.stderr.lock().unwrap()
                );
            }
        };
        for r in self.readers {
            let _ = r.join();
        }
        let stdout = self.stdout.lock().unwrap().clone();
        let stderr = self.stderr.lock().unwrap().clone();
        Finished {
            status,
            stdout,
            stderr,
        }
    }
}

impl Finished {
    fn assert_success(&self, name: &str) -> &str {
        assert!(
            self.status.success(),
            "{name} exited with {}; stdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        &self.stdout
    }
}

fn run(name: &str, args: &[&str]) -> String {
    start(name, args).finish().assert_success(name).to_string()
}

fn assert_contains(name: &str, out: &str, needles: &[&str]) {
    for needle in needles {
        assert!(
            out.contains(needle),
            "{name}: no {needle:?} in its output:\n{out}"
        );
    }
}

/// The index of the first line starting with `prefix`.
fn line_index(out: &str, prefix: &str) -> usize {
    out.lines()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{out}"))
}

/// `nothing lost: N accepted, N journaled`, with both numbers equal and
/// positive.
fn assert_nothing_lost(out: &str) {
    let line = out
        .lines()
        .find(|l| l.starts_with("nothing lost: "))
        .unwrap_or_else(|| panic!("no nothing-lost line in:\n{out}"));
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(numbers.len(), 2, "{line}");
    assert_eq!(numbers[0], numbers[1], "{line}");
    assert!(numbers[0] > 0, "no job was accepted: {line}");
}

/// The plans, the start, the tree, the derived order and the timeline of
/// `service`, in order.
fn assert_service_report(out: &str) {
    assert_contains(
        "service",
        out,
        &[
            "== the derived startup plan (Service::startup_plan()) ==",
            "Service\n\
             ├── 1. store (Store)\n\
             │   ├── init `open_journal`\n\
             │   └── run `flush_periodically`\n\
             ├── 2. workers (Workers), after store\n\
             │   ├── init `open_queue`\n\
             │   └── run `dispatch`\n\
             └── 3. http (HttpServer), after workers, store\n    \
                 ├── init `bind`\n    \
                 └── run `serve`\n",
            "== the live process tree ==",
            "Service [running",
            "├── http [running, age",
            "├── workers [running, age",
            "└── pool (waited for) [running",
            "└── store [running, age",
            "Service\n\
             ├── 1. http (HttpServer)\n\
             │   └── run `serve`\n\
             ├── 2. workers (Workers), after http\n\
             │   ├── run `dispatch`\n\
             │   └── waits for pool\n\
             └── 3. store (Store), after http, workers\n    \
                 ├── run `flush_periodically`\n    \
                 └── teardown `close_journal`\n",
            "== the shutdown timeline ==",
            "store: final flush wrote",
        ],
    );
    // The parts start in the derived order: the journal and the queue
    // exist before the server accepts a job.
    let start = &out[out.find("== the start ==").unwrap()..];
    let store = line_index(start, "store: journal open");
    let workers = line_index(start, "workers: queue open");
    let http = line_index(start, "http: listening on http://127.0.0.1:");
    let ready = line_index(start, "service: ready");
    assert!(store < workers && workers < http && http < ready, "{start}");
    let timeline = &out[out.find("== the shutdown timeline ==").unwrap()..];
    // Rows are in the order processes closed: the server before the
    // workers, the pool before the workers, the workers before the store,
    // Service last.
    let http = line_index(timeline, "http ");
    let pool = line_index(timeline, "pool ");
    let workers = line_index(timeline, "workers ");
    let store = line_index(timeline, "store ");
    let service = line_index(timeline, "Service ");
    assert!(pool < workers, "{timeline}");
    assert!(
        http < workers && workers < store && store < service,
        "{timeline}"
    );
    assert_nothing_lost(out);
}

#[test]
fn service_shuts_down_in_order_and_loses_nothing() {
    let running = start("service", &[]);
    let pid = running.child.id();
    let out = running.finish().assert_success("service").to_string();
    assert_service_report(&out);
    let dir = std::env::temp_dir().join(format!("goprocess-service-{pid}"));
    assert!(!dir.exists(), "{} was left behind", dir.display());
}

#[test]
fn service_until_signal_stops_on_sigterm() {
    let running = start("service", &["--until-signal"]);
    running.wait_for_line("serving until Ctrl-C or SIGTERM");
    running.signal("TERM");
    let out = running
        .finish()
        .assert_success("service --until-signal")
        .to_string();
    assert_contains("service --until-signal", &out, &["signal received"]);
    assert_service_report(&out);
}

/// `Shutdown::run` with `force_exit_on_second(true)`: a second Ctrl-C while
/// the service drains exits at once, with the shell's status for SIGINT.
#[test]
fn service_until_signal_exits_130_on_a_second_ctrl_c() {
    let running = start("service", &["--until-signal"]);
    running.wait_for_line("serving until Ctrl-C or SIGTERM");
    running.signal("INT");
    running.wait_for_line("signal received");
    running.signal("INT");
    let finished = running.finish();
    assert_eq!(
        finished.status.code(),
        Some(130),
        "stdout:\n{}\nstderr:\n{}",
        finished.stdout,
        finished.stderr
    );
    assert!(
        !finished.stdout.contains("== the shutdown timeline =="),
        "it exited at once:\n{}",
        finished.stdout
    );
}

#[test]
fn axum_server_answers_the_request_in_flight() {
    let out = run("axum_server", &[]);
    assert_contains(
        "axum_server",
        &out,
        &[
            "GET / -> hello from goprocess",
            "closing the server while GET /slow is in flight",
            "server closed\nGET /slow -> slow work done",
            "new connections are refused",
        ],
    );
}

/// A fake systemd: reads the datagrams sent to `socket` as they come (the
/// queue of a Unix datagram socket is short), until the returned function
/// is called; that function returns them, in order.
fn listen(socket: std::os::unix::net::UnixDatagram) -> impl FnOnce() -> Vec<String> {
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = std::thread::spawn({
        let done = done.clone();
        move || {
            socket
                .set_read_timeout(Some(Duration::from_millis(50)))
                .unwrap();
            let mut messages = Vec::new();
            let mut buf = [0u8; 8192];
            loop {
                match socket.recv(&mut buf) {
                    Ok(n) => messages.push(String::from_utf8_lossy(&buf[..n]).into_owned()),
                    Err(_) if done.load(std::sync::atomic::Ordering::SeqCst) => return messages,
                    Err(_) => {}
                }
            }
        }
    });
    move || {
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        reader.join().expect("the fake systemd's reader")
    }
}

/// The index of the first message that has the line `line`.
fn message_index(messages: &[String], line: &str) -> usize {
    messages
        .iter()
        .position(|m| m.lines().any(|l| l == line))
        .unwrap_or_else(|| panic!("no {line:?} in {messages:#?}"))
}

/// `probes` probes itself: not ready while its cache warms up, ready, then
/// not ready but live through the drain delay after a SIGTERM, then
/// closed; a fake systemd hears READY=1, the drain, STOPPING=1 and
/// watchdog pings.
#[test]
fn probes_answer_from_health_and_readiness_drops_before_the_close() {
    let dir = std::env::temp_dir().join(format!("goprocess-probes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("notify.sock");
    let _ = std::fs::remove_file(&path);
    let heard = listen(std::os::unix::net::UnixDatagram::bind(&path).unwrap());
    let running = start_with_env(
        "probes",
        &[],
        &[
            ("NOTIFY_SOCKET", &path),
            ("WATCHDOG_USEC", Path::new("200000")),
        ],
    );
    let out = running.finish().assert_success("probes").to_string();
    let messages = heard();
    let _ = std::fs::remove_dir_all(&dir);

    assert_contains(
        "probes",
        &out,
        &[
            "GET /readyz -> 503 not ready: `app/cache` (starting for ",
            "waits for set_ready()); live",
            "cache: warm\nGET /readyz -> 200 ready; live\n",
            "== SIGTERM (simulated) ==",
            "GET /readyz -> 503 not ready: `app` (draining before its close); live",
            "GET /livez -> 200 not ready: `app` (draining before its close); live",
            "cache: flushed",
            "after the drain delay: Connection refused",
            "probes: closed cleanly",
        ],
    );
    let starting = line_index(&out, "GET /livez -> 200 not ready: `app/cache`");
    let warm = line_index(&out, "cache: warm");
    let draining = line_index(&out, "GET /readyz -> 503 not ready: `app` (draining");
    let flushed = line_index(&out, "cache: flushed");
    assert!(
        starting < warm && warm < draining && draining < flushed,
        "{out}"
    );

    let ready = message_index(&messages, "READY=1");
    let starting = messages
        .iter()
        .position(|m| m.starts_with("STATUS=starting: ") && m.contains("`app/cache`"))
        .unwrap_or_else(|| panic!("no starting status naming the cache: {messages:#?}"));
    assert!(starting < ready, "{messages:#?}");
    let draining = message_index(&messages, "STATUS=draining for 1s before closing");
    let stopping = message_index(&messages, "STOPPING=1");
    assert!(ready < draining && draining < stopping, "{messages:#?}");
    assert!(
        messages.iter().any(|m| m == "WATCHDOG=1"),
        "no watchdog ping: {messages:#?}"
    );
}

/// A second SIGTERM during the drain delay exits at once, with SIGTERM's
/// status.
#[test]
fn probes_until_signal_exits_at_once_on_a_second_sigterm() {
    let running = start("probes", &["--until-signal"]);
    running.wait_for_line("probes: serving until Ctrl-C or SIGTERM");
    running.signal("TERM");
    running.signal("TERM");
    let finished = running.finish();
    assert_eq!(
        finished.status.code(),
        Some(143),
        "stdout:\n{}\nstderr:\n{}",
        finished.stdout,
        finished.stderr
    );
    assert!(
        !finished.stdout.contains("closed cleanly"),
        "{}",
        finished.stdout
    );
}

#[test]
fn tree_prints_text_dot_and_mermaid() {
    let out = run("tree", &[]);
    assert_contains(
        "tree",
        &out,
        &[
            "app [running",
            "│   ├── conn 1 [running",
            "│   └╌╌ waits for http",
            "└── metrics (no wait) [running",
            "6 running, 0 closing, 0 closed",
            "```mermaid\nflowchart TD",
            "== waits for ==>",
            "app [closing for",
            "db [closing: running teardown",
            "== closed ==\napp [closed",
        ],
    );
    let dot = out
        .lines()
        .find_map(|l| l.strip_prefix("DOT written to "))
        .expect("the DOT path");
    let text = std::fs::read_to_string(dot).expect("the DOT file");
    let _ = std::fs::remove_file(dot);
    assert!(text.starts_with("digraph goprocess {"), "{text}");
}

#[test]
fn go_port_prints_what_go_prints() {
    let out = run("go_port", &[]);
    assert_contains(
        "go_port",
        &out,
        &[
            "== ExampleGo ==\ntick\ntick\ntick\ntick\ntick\nclosing\nclosed\n",
            "closing 3\nclosing 2\nclosing 1\n",
            "indexer: teardown closes the store\nstore: closed\n",
            "add_child on a closed process: Closed",
            "a waiting cycle: Cycle",
            "the background process as a child: NeverCloses",
        ],
    );
}

/// The three wirings of docs/comparison.md shut down in the same order and
/// flush every job the server accepted.
#[test]
fn the_three_comparison_wirings_agree() {
    for name in ["compare_goprocess", "compare_tokio_util", "compare_tgs"] {
        let out = run(name, &[]);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.len() >= 4, "{name}:\n{out}");
        let accepted = lines[0]
            .strip_prefix("server: stopped after ")
            .unwrap_or_else(|| panic!("{name}: the server stops first:\n{out}"));
        let mut workers = [lines[1], lines[2]];
        workers.sort();
        assert_eq!(
            workers,
            ["worker 0: drained", "worker 1: drained"],
            "{name}"
        );
        assert_eq!(
            lines[3],
            format!("store: flushed {accepted}"),
            "{name}: the store flushes last, every job:\n{out}"
        );
    }
}

/// The nested-failure case of docs/comparison.md: in both, the sibling
/// branch is asked to stop as soon as the panic is known, before the
/// failed branch has drained, and the program fails.
#[test]
fn the_nested_failure_reaches_the_sibling_at_once_in_both() {
    for name in ["compare_failure_goprocess", "compare_failure_tgs"] {
        let finished = start(name, &[]).finish();
        let out = &finished.stdout;
        assert_eq!(finished.status.code(), Some(1), "{name}:\n{out}");
        let panicked = line_index(out, "subsys2: panics at +");
        let sibling = line_index(out, "sibling: asked to stop at +");
        let subsys1 = line_index(out, "subsys1: asked to stop at +");
        let drained = line_index(out, "subsys1: drained at +");
        assert!(
            panicked < sibling && panicked < subsys1,
            "{name}: asked before the panic?\n{out}"
        );
        assert!(
            sibling < drained,
            "{name}: the sibling heard of the failure only once `subsys1` had drained:\n{out}"
        );
        let closed = line_index(out, "closed at +");
        let error = line_index(out, "error: ");
        assert!(drained < closed && closed < error, "{name}:\n{out}");
        if name == "compare_failure_goprocess" {
            assert_contains(
                name,
                out,
                &["process `subsys2`: panicked: subsys2 panicked"],
            );
        }
    }
}

#[test]
fn periodic_closes_after_the_runs_in_flight() {
    let out = run("periodic", &[]);
    assert_contains(
        "periodic",
        &out,
        &["metrics #1", "sweep started", "closing the app", "closed"],
    );
    // The runs in flight finish between "closing the app" and "closed".
    let lines: Vec<&str> = out.lines().collect();
    let closing = lines.iter().position(|l| l.contains("closing the app"));
    assert!(closing.is_some_and(|i| i + 1 < lines.len()), "{out}");
    assert!(lines.last().is_some_and(|l| l.ends_with("closed")), "{out}");
}

#[test]
fn ratelimit_runs_at_most_three_and_refuses_after_close() {
    let out = run("ratelimit", &[]);
    assert_contains(
        "ratelimit",
        &out,
        &[
            "file 0: downloading",
            "file 7: downloading",
            "closed; the caller still waiting was refused",
        ],
    );
    for line in out.lines().filter(|l| l.contains("at once)")) {
        let n: usize = line
            .rsplit('(')
            .next()
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("a count in {line:?}"));
        assert!((1..=3).contains(&n), "{line}");
    }
}

#[test]
fn signals_closes_on_sigint_after_draining() {
    let running = start("signals", &[]);
    running.wait_for_line("worker: serving");
    running.signal("INT");
    let out = running.finish().assert_success("signals").to_string();
    assert_contains(
        "signals",
        &out,
        &[
            "main: signal received",
            "worker: drained",
            "main: closed cleanly",
        ],
    );
}

#[test]
fn supervised_restarts_then_gives_up_and_shuts_down_in_order() {
    let out = run("supervised", &[]);
    assert_contains(
        "supervised",
        &out,
        &[
            "pool: restarted `worker ",
            "(restart 1)",
            "(restart 3)",
            "pool: gave up: too many restarts",
            "== the shutdown timeline ==",
            "== why each part closed ==",
            "pool      too many restarts",
            "intake    closed by its parent `Service`",
            "journal   closed by its parent `Service`",
            "Service   its child `pool` failed",
            "closed by its parent `pool`",
            "== the service's error ==\nService: children failed\npool: gave up: too many restarts\npool/worker ",
        ],
    );
    assert!(!out.contains("(restart 4)"), "{out}");
    // The declared order: the intake, then the journal, then the service.
    let intake = line_index(&out, "intake: stopped");
    let journal = line_index(&out, "journal: wrote");
    let service = line_index(&out, "service: torn down");
    assert!(intake < journal && journal < service, "{out}");
    // The timeline shows every run that crashed, and the pool failing.
    let timeline = &out[out.find("== the shutdown timeline ==").unwrap()..];
    let crashed = timeline
        .lines()
        .filter(|l| l.starts_with("worker ") && l.ends_with("(failed)"))
        .count();
    assert_eq!(crashed, 4, "{timeline}");
    assert!(
        timeline
            .lines()
            .any(|l| l.starts_with("pool ") && l.ends_with("(failed)")),
        "{timeline}"
    );
}

/// Every `rust,ignore` excerpt of docs/comparison.md is, line for line
/// (indentation aside), in the example file named last before it, so the
/// page shows compiled code.
#[test]
fn comparison_excerpts_are_the_compiled_examples() {
    let page = std::fs::read_to_string(root().join("docs/comparison.md")).unwrap();
    let normalize = |text: &str| -> String {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut source: Option<String> = None;
    let mut excerpts = 0;
    let mut rest = page.as_str();
    while let Some(start) = rest.find("```rust,ignore\n") {
        let before = &rest[..start];
        if let Some(at) = before.rfind("examples/compare/") {
            let name = &before[at..];
            let end = name.find(".rs").expect("an example path ends in .rs") + 3;
            source = Some(name[..end].to_string());
        }
        let body_start = start + "```rust,ignore\n".len();
        let body_len = rest[body_start..].find("```").expect("a closing fence");
        let body = &rest[body_start..body_start + body_len];
        let file = source
            .as_deref()
            .expect("an example named before the excerpt");
        let code = std::fs::read_to_string(root().join(file)).unwrap();
        assert!(
            normalize(&code).contains(&normalize(body)),
            "docs/comparison.md quotes code that is not in {file}:\n{body}"
        );
        excerpts += 1;
        rest = &rest[body_start + body_len + 3..];
    }
    assert!(excerpts >= 4, "only {excerpts} excerpts found");
}
