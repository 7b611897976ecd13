//! `Shutdown::force_exit_on_second`: a second signal during a slow
//! shutdown exits the program. Each scenario runs in a subprocess (this
//! test binary, re-invoked with an environment variable naming the test),
//! since it ends the process it runs in.
#![cfg(unix)]

mod common;

use std::process::{Command, Output};
use std::sync::mpsc;
use std::time::Duration;

use common::raise;
use goprocess::signal::{Shutdown, SignalKind};

const CHILD: &str = "GOPROCESS_SIGNAL_TEST_CHILD";

/// True in the subprocess that runs `test`'s scenario.
fn is_child(test: &str) -> bool {
    std::env::var(CHILD).as_deref() == Ok(test)
}

/// Runs `test` alone in a subprocess and returns its output (bounded: a
/// subprocess that hangs is killed and fails the test).
fn run_child(test: &str) -> Output {
    let child = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, test)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
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

/// The subprocess's body: a runtime, then `f`.
fn child_main<F: Future<Output = ()>>(f: F) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn a_second_signal_during_a_slow_shutdown_exits_with_its_status() {
    const NAME: &str = "a_second_signal_during_a_slow_shutdown_exits_with_its_status";
    if is_child(NAME) {
        return child_main(async {
            let app = Shutdown::new().force_exit_on_second(true).start();
            // A shutdown that never finishes by itself.
            app.go(|_| std::future::pending::<()>());
            raise("TERM");
            tokio::time::timeout(Duration::from_secs(10), app.closing())
                .await
                .expect("the first signal starts closing");
            println!("closing after the first signal");
            raise("INT");
            // The second signal exits with 128 + SIGINT; anything else fails.
            tokio::time::sleep(Duration::from_secs(10)).await;
            panic!("still running 10 s after the second signal");
        });
    }
    let out = run_child(NAME);
    assert_eq!(out.status.code(), Some(130), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("closing after the first signal"),
        "{}",
        describe(&out)
    );
}

#[test]
fn a_shutdown_that_finishes_exits_normally_after_one_signal() {
    const NAME: &str = "a_shutdown_that_finishes_exits_normally_after_one_signal";
    if is_child(NAME) {
        return child_main(async {
            let app = Shutdown::new()
                .signals([SignalKind::terminate()])
                .force_exit_on_second(true)
                .start();
            app.go(|me| async move { me.closing().await });
            raise("TERM");
            tokio::time::timeout(Duration::from_secs(10), app.closed())
                .await
                .expect("one signal closes the process");
            println!("closed cleanly");
        });
    }
    let out = run_child(NAME);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("closed cleanly"),
        "{}",
        describe(&out)
    );
}

/// The pattern of a signal process apart from the app (no children): it
/// closes at once on the first signal, and its force exit stays armed for
/// the app's slow shutdown after it. The second Ctrl-C exits with 130.
#[test]
fn a_second_signal_exits_when_the_signal_process_is_apart_from_the_app() {
    const NAME: &str = "a_second_signal_exits_when_the_signal_process_is_apart_from_the_app";
    if is_child(NAME) {
        return child_main(async {
            let signals = Shutdown::new().force_exit_on_second(true).start();
            let app = goprocess::Process::new().named("app");
            app.go(|_| std::future::pending::<()>()); // a slow shutdown
            raise("INT");
            tokio::time::timeout(Duration::from_secs(10), signals.closed())
                .await
                .expect("the first signal closes the signal process");
            println!("the signal process closed; closing the app");
            let closing = tokio::spawn(app.close());
            tokio::task::yield_now().await;
            raise("INT");
            let _ = tokio::time::timeout(Duration::from_secs(10), closing).await;
            panic!("still running 10 s after the second signal");
        });
    }
    let out = run_child(NAME);
    assert_eq!(out.status.code(), Some(130), "{}", describe(&out));
}

/// Two signals in quick succession, both raised before the listener runs
/// (the only runtime thread is busy), are two signals: the second exits.
#[test]
fn two_signals_in_quick_succession_count_as_two() {
    const NAME: &str = "two_signals_in_quick_succession_count_as_two";
    if is_child(NAME) {
        return child_main(async {
            let app = Shutdown::new()
                .signals([SignalKind::user_defined1()])
                .force_exit_on_second(true)
                .start();
            app.go(|_| std::future::pending::<()>());
            // Both delivered while this thread, the runtime's only one, is
            // busy: the listener sees them at its next poll, together.
            raise("USR1");
            raise("USR1");
            std::thread::sleep(Duration::from_millis(50));
            let _ = tokio::time::timeout(Duration::from_secs(10), app.closed()).await;
            panic!("still running 10 s after two signals");
        });
    }
    let out = run_child(NAME);
    assert_eq!(out.status.code(), Some(128 + 10), "{}", describe(&out));
}
