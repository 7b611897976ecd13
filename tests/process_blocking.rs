//! Blocking use: `close_blocking` with and without a runtime, and what
//! needs a runtime.

mod common;

use common::{Log, within_blocking};
use goprocess::{ErrorKind, Process};

#[test]
fn close_blocking_from_a_plain_thread_runs_sync_teardowns() {
    let log = Log::new();
    let parent = Process::with_teardown(log.teardown("parent"));
    let child = Process::with_teardown(log.teardown("child"));
    parent.add_child(&child).unwrap();
    within_blocking(move || parent.close_blocking()).unwrap();
    assert_eq!(log.events(), ["child", "parent"]);
}

#[test]
fn close_blocking_with_no_runtime_runs_async_teardowns() {
    let log = Log::new();
    let l = log.clone();
    let p = Process::with_async_teardown(move || async move {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        l.push("async teardown");
        Ok(())
    });
    within_blocking(move || p.close_blocking()).unwrap();
    assert_eq!(log.events(), ["async teardown"]);
}

#[test]
fn close_blocking_inside_a_current_thread_runtime_is_refused() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let p = Process::new();
    let err = rt.block_on(async { p.close_blocking() }).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BlockingInRuntime);
    assert!(
        err.to_string().contains("close().await"),
        "names the fix: {err}"
    );
    assert!(!p.is_closing(), "refused without closing anything");
}

#[test]
fn close_blocking_inside_a_multi_thread_runtime_works() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let p = rt.block_on(async {
        let p = Process::new();
        p.go(|me| async move { me.closing().await });
        p
    });
    let q = p.clone();
    rt.block_on(async move {
        tokio::spawn(async move { q.close_blocking() })
            .await
            .unwrap()
    })
    .unwrap();
    assert!(p.is_closed());
}

#[test]
fn go_without_a_runtime_panics_with_a_message_naming_the_fix() {
    let err = std::panic::catch_unwind(|| Process::new().go(|_| async {})).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("needs a tokio runtime"), "{msg}");
    assert!(msg.contains("#[tokio::main]"), "{msg}");
}

#[test]
fn relations_and_queries_need_no_runtime() {
    let p = Process::new();
    let c = Process::with_parent(&p);
    let q = Process::new();
    p.wait_for(&q).unwrap();
    p.add_child_no_wait(&Process::new());
    assert!(!p.is_closing());
    q.close_blocking().unwrap();
    p.close_blocking().unwrap();
    assert!(c.is_closed());
}

#[test]
fn a_runtime_shut_down_under_a_go_function_closes_its_process_as_aborted() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let parent = Process::new();
    let child = rt.block_on(async { parent.go(|_| std::future::pending::<()>()) });
    drop(rt);
    assert!(child.is_closed());
    let err = within_blocking(move || child.close_blocking()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Aborted);
    let err = within_blocking(move || parent.close_blocking()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Children);
}
