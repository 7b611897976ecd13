//! `Shutdown::run`: the top level of a service. Each test listens for a
//! signal of its own (signals go to the whole test process), or runs in a
//! subprocess when it ends the process or needs an environment of its own.
#![cfg(unix)]

mod common;

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Output};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{raise, within};
use goprocess::signal::{Shutdown, SignalKind};
use goprocess::{CloseCause, ErrorKind, Process};

const CHILD: &str = "GOPROCESS_TOPLEVEL_TEST_CHILD";

fn is_child(test: &str) -> bool {
    std::env::var(CHILD).as_deref() == Ok(test)
}

/// Runs `test` alone in a subprocess with `env`, bounded in time.
fn run_child(test: &str, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, test)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let child = command.spawn().unwrap();
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("hung: the subprocess for {test} did not exit in 30 s");
        }
    }
}

fn describe(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn child_main<F: Future<Output = ()>>(f: F) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A server that says when it serves, then serves until closing.
fn server(app: &Process, name: &'static str) -> Process {
    app.child().named(name).signals_ready().go(|me| async move {
        tokio::task::yield_now().await;
        me.set_ready();
        me.closing().await;
    })
}

#[tokio::test]
async fn a_signal_closes_the_app_once_it_is_ready() {
    let app = Process::new().named("app");
    let http = server(&app, "http");
    let run = tokio::spawn(
        Shutdown::new()
            .signals([SignalKind::user_defined1()])
            .run(&app),
    );
    within(app.ready()).await.unwrap();
    assert!(!app.is_closing());
    raise("USR1");
    within(run).await.unwrap().unwrap();
    assert!(app.is_closed() && http.is_closed());
    assert_eq!(
        app.close_cause(),
        Some(CloseCause::Signal("SIGUSR1".into()))
    );
}

#[tokio::test]
async fn an_app_that_closes_by_itself_ends_run_with_its_result() {
    let app = Process::new().named("app");
    app.child()
        .named("job")
        .on_failure(goprocess::OnFailure::Propagate)
        .go(|_| async { Err::<(), _>("the job failed") });
    let err = within(
        Shutdown::new()
            .signals([SignalKind::user_defined2()])
            .run(&app),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Children, "{err}");
    assert!(err.to_string().contains("the job failed"), "{err}");
}

#[tokio::test]
async fn a_failed_start_is_runs_result() {
    let app = Process::new().named("app");
    let _ok = server(&app, "ok");
    app.child()
        .named("db")
        .signals_ready()
        .go(|_| async { Err::<(), _>("cannot connect") });
    let err = within(Shutdown::new().signals([SignalKind::hangup()]).run(&app))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StartFailed, "{err}");
    assert!(
        err.to_string().contains("`db` closed before it was ready"),
        "{err}"
    );
}

/// A signal while the app starts aborts the start (rollback): the parts
/// that started close, and run returns.
#[tokio::test]
async fn a_signal_during_the_start_aborts_it() {
    let app = Process::new().named("app");
    let never = app
        .child()
        .named("never")
        .signals_ready()
        .go(|me| async move { me.closing().await });
    let run = tokio::spawn(Shutdown::new().signals([SignalKind::alarm()]).run(&app));
    tokio::task::yield_now().await;
    raise("ALRM");
    within(run).await.unwrap().unwrap();
    assert!(never.is_closed());
    assert_eq!(
        app.close_cause(),
        Some(CloseCause::Signal("SIGALRM".into()))
    );
    assert_eq!(
        within(app.ready()).await.unwrap_err().kind(),
        ErrorKind::StartFailed
    );
}

/// The grace budget bounds the close: a part that ignores it is aborted,
/// and run returns the budget's Timeout at the deadline.
#[tokio::test]
async fn the_grace_budget_bounds_the_close() {
    let app = Process::new().named("app");
    let _stuck = app
        .child()
        .named("stuck")
        .go(|_| std::future::pending::<()>());
    let run = tokio::spawn(
        Shutdown::new()
            .signals([SignalKind::window_change()])
            .grace(Duration::from_millis(200))
            .run(&app),
    );
    within(app.ready()).await.unwrap();
    tokio::task::yield_now().await;
    raise("WINCH");
    let started = Instant::now();
    let err = within(run).await.unwrap().unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.to_string().contains("`app/stuck`"), "{err}");
}

/// With a drain delay, readiness drops at the signal and the close begins
/// only after the delay.
#[tokio::test]
async fn the_drain_delay_drops_readiness_before_the_close() {
    let app = Process::new().named("app");
    let _http = server(&app, "http");
    let run = tokio::spawn(
        Shutdown::new()
            .signals([SignalKind::from_raw(26)]) // SIGVTALRM: this test's own
            .drain_delay(Duration::from_millis(300))
            .run(&app),
    );
    within(app.ready()).await.unwrap();
    tokio::task::yield_now().await;
    assert!(app.health().is_ready());
    raise("VTALRM");
    within(async {
        while app.health().is_ready() {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(!app.is_closing(), "the close waits for the drain delay");
    assert!(
        app.health().to_string().contains("draining"),
        "{}",
        app.health()
    );
    within(run).await.unwrap().unwrap();
}

/// A second SIGINT exits at once with 130 while the app is still closing.
#[test]
fn a_second_sigint_exits_with_130() {
    const NAME: &str = "a_second_sigint_exits_with_130";
    if is_child(NAME) {
        return child_main(async {
            let app = Process::new().named("app");
            app.go(|_| std::future::pending::<()>()); // never finishes its close
            let run = tokio::spawn(Shutdown::new().force_exit_on_second(true).run(&app));
            app.ready().await.unwrap();
            tokio::task::yield_now().await;
            raise("INT");
            tokio::time::timeout(Duration::from_secs(10), app.closing())
                .await
                .expect("the first signal starts the close");
            println!("closing after the first signal");
            raise("INT");
            let _ = tokio::time::timeout(Duration::from_secs(10), run).await;
            panic!("still running 10 s after the second signal");
        });
    }
    let out = run_child(NAME, &[]);
    assert_eq!(out.status.code(), Some(130), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("closing after the first signal"),
        "{}",
        describe(&out)
    );
}

/// Under systemd (`NOTIFY_SOCKET`): `READY=1` once ready, `STOPPING=1`
/// when the close begins, in that order, on a real datagram socket.
#[test]
fn run_speaks_systemds_notify_protocol() {
    const NAME: &str = "run_speaks_systemds_notify_protocol";
    if is_child(NAME) {
        return child_main(async {
            let app = Process::new().named("app");
            let _http = server(&app, "http");
            let run = tokio::spawn(
                Shutdown::new()
                    .signals([SignalKind::user_defined2()])
                    .run(&app),
            );
            app.ready().await.unwrap();
            // Let run see it ready first.
            tokio::time::sleep(Duration::from_millis(50)).await;
            raise("USR2");
            tokio::time::timeout(Duration::from_secs(10), run)
                .await
                .expect("run returns")
                .unwrap()
                .unwrap();
        });
    }
    let dir = std::env::temp_dir().join(format!("goprocess-notify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("notify.sock");
    let _ = std::fs::remove_file(&path);
    let socket = UnixDatagram::bind(&path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let out = run_child(NAME, &[("NOTIFY_SOCKET", path.to_str().unwrap())]);
    assert!(out.status.success(), "{}", describe(&out));
    let mut messages = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = socket.recv(&mut buf) {
        messages.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    let _ = std::fs::remove_dir_all(&dir);
    let ready = messages
        .iter()
        .position(|m| m.lines().any(|l| l == "READY=1"));
    let stopping = messages
        .iter()
        .position(|m| m.lines().any(|l| l == "STOPPING=1"));
    assert!(ready.is_some() && stopping.is_some(), "{messages:?}");
    assert!(ready < stopping, "{messages:?}");
    assert!(
        messages.iter().all(|m| !m.contains("WATCHDOG=1")),
        "no watchdog without WATCHDOG_USEC: {messages:?}"
    );
}

/// With `WATCHDOG_USEC`, run pings at half the interval while the tree is
/// live.
#[test]
fn run_pings_the_watchdog_while_the_tree_is_live() {
    const NAME: &str = "run_pings_the_watchdog_while_the_tree_is_live";
    if is_child(NAME) {
        return child_main(async {
            let app = Process::new().named("app");
            let _http = server(&app, "http");
            let run = tokio::spawn(
                Shutdown::new()
                    .signals([SignalKind::user_defined1()])
                    .run(&app),
            );
            app.ready().await.unwrap();
            tokio::time::sleep(Duration::from_millis(350)).await;
            raise("USR1");
            tokio::time::timeout(Duration::from_secs(10), run)
                .await
                .expect("run returns")
                .unwrap()
                .unwrap();
        });
    }
    let dir = std::env::temp_dir().join(format!("goprocess-watchdog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("notify.sock");
    let _ = std::fs::remove_file(&path);
    let socket = UnixDatagram::bind(&path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let out = run_child(
        NAME,
        &[
            ("NOTIFY_SOCKET", path.to_str().unwrap()),
            ("WATCHDOG_USEC", "200000"), // pings every 100 ms
        ],
    );
    assert!(out.status.success(), "{}", describe(&out));
    let mut pings = 0;
    let mut buf = [0u8; 4096];
    while let Ok(n) = socket.recv(&mut buf) {
        pings += String::from_utf8_lossy(&buf[..n])
            .lines()
            .filter(|l| *l == "WATCHDOG=1")
            .count();
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(pings >= 3, "{pings} pings in 350 ms at 100 ms");
}

/// A signal before the app is ready does not wait for the drain delay:
/// there is nothing to drain yet.
#[tokio::test]
async fn a_signal_during_the_start_skips_the_drain_delay() {
    let app = Process::new().named("app");
    let _never = app
        .child()
        .named("never")
        .signals_ready()
        .go(|me| async move { me.closing().await });
    let run = tokio::spawn(
        Shutdown::new()
            .signals([SignalKind::from_raw(27)]) // SIGPROF: this test's own
            .drain_delay(Duration::from_secs(30))
            .run(&app),
    );
    tokio::task::yield_now().await;
    let started = Instant::now();
    raise("PROF");
    within(run).await.unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
}
