//! `with_signals`, `shutdown_signals` and `Shutdown`, with real signals
//! raised at this test process.
//!
//! Signals go to the whole process, and the tests of this file run in
//! parallel threads of it: each test uses its own signals, and installs its
//! handler before raising one, so a raised signal can never kill the test
//! runner nor reach another test.
#![cfg(unix)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{raise, tasks, tasks_back_to, within};
use goprocess::signal::{self, Shutdown, SignalKind};
use goprocess::{Process, with_signals};
use signal_hook::consts::SIGUSR2;
use tokio::sync::oneshot;

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[tokio::test]
async fn closes_on_a_signal_raised_at_this_process() {
    let before = tasks();
    let p = with_signals([SignalKind::user_defined1()]);
    raise("USR1");
    within(p.closed()).await;
    assert!(within(p.err()).await.is_ok());
    tasks_back_to(before).await;
}

#[tokio::test]
async fn closes_on_the_first_of_several_signals() {
    let p = with_signals([SignalKind::user_defined2(), SignalKind::window_change()]);
    raise("WINCH");
    within(p.closed()).await;
}

#[tokio::test]
async fn a_signal_closes_the_whole_tree_in_order() {
    let log = common::Log::new();
    let app = with_signals([SignalKind::io()]);
    let db = Process::with_teardown(log.teardown("db"));
    app.add_child(&db).unwrap();
    let l = log.clone();
    app.go(move |me| async move {
        me.closing().await;
        l.push("worker drained");
    });
    raise("IO");
    within(app.closed()).await;
    let events = log.events();
    assert_eq!(events.len(), 2);
    assert!(events.contains(&"db".to_string()) && events.contains(&"worker drained".to_string()));
}

#[tokio::test]
async fn closing_by_hand_first_leaves_no_registration() {
    let before = tasks();
    let p = with_signals([SignalKind::hangup()]);
    assert_eq!(tasks(), before + 1, "one listener task");
    within(p.close()).await.unwrap();
    tasks_back_to(before).await;

    // The signal still arrives (tokio keeps its handler), but nothing of
    // the closed process reacts to it.
    let mut observer = tokio::signal::unix::signal(SignalKind::hangup()).unwrap();
    raise("HUP");
    within(observer.recv()).await;
    assert!(within(p.err()).await.is_ok());
    assert_eq!(tasks(), before);
}

#[tokio::test]
async fn shutdown_signals_closes_on_sigint_and_on_sigterm() {
    // The only test of this file that raises SIGINT or SIGTERM.
    let before = tasks();
    let p = signal::shutdown_signals();
    raise("INT");
    within(p.closed()).await;

    let q = signal::shutdown_signals();
    raise("TERM");
    within(q.closed()).await;
    tasks_back_to(before).await;
}

#[tokio::test]
async fn without_force_exit_the_listener_goes_when_closing_begins() {
    let before = tasks();
    let p = with_signals([SignalKind::alarm()]);
    let (release_tx, release_rx) = oneshot::channel::<()>();
    // A slow shutdown: this worker returns only when released.
    p.go(move |_| async move {
        let _ = release_rx.await;
    });
    raise("ALRM");
    within(p.closing()).await;
    tasks_back_to(before + 1).await; // only the worker is left

    let mut observer = tokio::signal::unix::signal(SignalKind::alarm()).unwrap();
    raise("ALRM");
    within(observer.recv()).await;
    assert!(
        !p.is_closed(),
        "a second signal is ignored without force exit"
    );

    release_tx.send(()).unwrap();
    within(p.closed()).await;
    tasks_back_to(before).await;
}

/// With force exit, the listener stays armed once the shutdown began, for
/// as long as the runtime runs (the program's shutdown goes on after this
/// process has closed), and goes with the runtime.
#[tokio::test]
async fn with_force_exit_the_listener_stays_armed_after_closed() {
    // Closed by hand, so no signal is raised (a second one would exit).
    let before = tasks();
    let p = Shutdown::new()
        .signals([SignalKind::quit()])
        .force_exit_on_second(true)
        .start();
    let (release_tx, release_rx) = oneshot::channel::<()>();
    p.go(move |_| async move {
        let _ = release_rx.await;
    });
    let closer = tokio::spawn(p.close());
    within(p.closing()).await;
    tokio::task::yield_now().await;
    assert_eq!(tasks(), before + 3, "listener, worker and closer");
    release_tx.send(()).unwrap();
    within(closer).await.unwrap().unwrap();
    tasks_back_to(before + 1).await;
    assert_eq!(tasks(), before + 1, "the listener stays armed");
}

#[tokio::test]
async fn no_signals_gives_a_process_that_closes_only_by_hand() {
    let before = tasks();
    let p = with_signals([]);
    tokio::task::yield_now().await;
    assert!(!p.is_closing());
    within(p.close()).await.unwrap();
    tasks_back_to(before).await;
}

#[tokio::test]
async fn signals_that_cannot_be_handled_are_an_error_or_a_clear_panic() {
    for raw in [9, 19, 0, -1] {
        // SIGKILL, SIGSTOP, and no signal at all.
        let err = Shutdown::new()
            .signals([SignalKind::from_raw(raw)])
            .try_start()
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(&format!("signal {raw}")), "{msg}");
        assert!(msg.contains("cannot be handled"), "{msg}");
    }
    let payload = std::panic::catch_unwind(|| with_signals([SignalKind::from_raw(9)]))
        .expect_err("SIGKILL cannot be handled");
    let msg = panic_message(payload);
    assert!(
        msg.starts_with("goprocess::signal: cannot listen for signal 9"),
        "{msg}"
    );
}

#[test]
fn without_a_runtime_it_panics_naming_the_fix() {
    let payload = std::panic::catch_unwind(signal::shutdown_signals).unwrap_err();
    let msg = panic_message(payload);
    assert!(msg.contains("needs a tokio runtime"), "{msg}");
}

#[test]
fn without_an_io_driver_the_panic_says_how_to_enable_it() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let _entered = rt.enter();
    let payload = std::panic::catch_unwind(|| {
        Shutdown::new()
            .signals([SignalKind::user_defined1()])
            .try_start()
    })
    .unwrap_err();
    let msg = panic_message(payload);
    assert!(msg.contains("enable_io"), "{msg}");
}

/// A signal raised before `start()` (after an earlier listener for it was
/// installed and removed) is not seen by the new process.
#[tokio::test]
async fn a_signal_raised_before_start_does_not_close_the_new_process() {
    for _ in 0..100 {
        let earlier = Shutdown::new()
            .signals([SignalKind::user_defined2()])
            .start();
        within(earlier.close()).await.unwrap();
        // Raised, and handled (the flag says so) before `start()`.
        let handled = Arc::new(AtomicBool::new(false));
        let flag = signal_hook::flag::register(SIGUSR2, handled.clone()).unwrap();
        raise("USR2");
        within(async {
            while !handled.load(Ordering::SeqCst) {
                tokio::task::yield_now().await;
            }
        })
        .await;
        signal_hook::low_level::unregister(flag);
        let p = Shutdown::new()
            .signals([SignalKind::user_defined2()])
            .start();
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        assert!(!p.is_closing(), "a signal from before start() closed it");
        within(p.close()).await.unwrap();
    }
}
