//! Closing from inside: a close (or `close_within`,
//! `close_after_children`, `close_blocking`) awaited from inside a process
//! function or teardown, on a process that waits, directly or not, for the
//! caller's own process, must not wait for itself. The close proceeds and
//! the call returns `Ok(())` at once. (Go deadlocks in every one of these.)
//! The observers (`closed()`, `err()`) never say more than they know: they
//! resolve only once the process is Closed, as in Go.

mod common;

use std::time::Duration;

use common::{Log, within, within_blocking};
use goprocess::{ErrorKind, Process};

#[tokio::test]
async fn a_function_closing_its_own_process_returns_at_once() {
    let log = Log::new();
    let l = log.clone();
    let p = goprocess::go(move |me| async move {
        within(me.close()).await.unwrap();
        l.push("close returned");
        assert!(me.is_closing() && !me.is_closed());
    });
    within(p.closed()).await;
    assert_eq!(log.events(), ["close returned"]);
    assert!(p.err().await.is_ok());
}

#[tokio::test]
async fn a_child_function_closing_its_parent_returns_at_once() {
    // A "quit" command handler asking the server it belongs to to stop.
    let log = Log::new();
    let server = Process::with_teardown(log.teardown("server teardown")).named("server");
    let s = server.clone();
    let l = log.clone();
    let conn = server.go(move |_| async move {
        within(s.close()).await.unwrap();
        l.push("quit handled");
    });
    within(server.closed()).await;
    assert!(conn.is_closed());
    assert_eq!(log.events(), ["quit handled", "server teardown"]);
}

#[tokio::test]
async fn a_grandchild_closing_the_root_with_every_close_variant_returns_at_once() {
    for variant in 0..4 {
        let root = Process::new().named("root");
        let mid = Process::with_parent(&root).named("mid");
        let r = root.clone();
        let worker = mid.go(move |_| async move {
            let result = match variant {
                0 => within(r.close()).await,
                1 => within(r.close_within(Duration::from_secs(30))).await,
                2 => within(r.close_after_children()).await,
                _ => {
                    // The observer does not pretend: `err()` cannot answer
                    // before this function returns.
                    r.request_close();
                    let err = tokio::time::timeout(Duration::from_millis(50), r.err()).await;
                    assert!(err.is_err(), "err() answered before Closed");
                    Ok(())
                }
            };
            result.unwrap();
        });
        if variant == 2 {
            // close_after_children closes nothing: `mid` has no function to
            // end by itself, so close it once the worker has returned.
            within(worker.closed()).await;
            within(mid.close()).await.unwrap();
        }
        within(root.closed()).await;
    }
}

/// Go's `TestGoClosing`: the parent shouldn't close before its late
/// child returns, and `closed()` awaited in the child says so.
#[tokio::test(start_paused = true)]
async fn closed_inside_a_function_stays_pending_until_the_awaited_process_is_closed() {
    let app = Process::new();
    let a = app.clone();
    let log = Log::new();
    let l = log.clone();
    app.go(move |_| async move {
        a.closing().await;
        let closed = tokio::time::timeout(Duration::from_millis(100), a.closed()).await;
        l.push(format!(
            "closed() timed out: {}, app closing: {}, closed: {}",
            closed.is_err(),
            a.is_closing(),
            a.is_closed()
        ));
        let err = tokio::time::timeout(Duration::from_millis(100), a.err()).await;
        l.push(format!("err() timed out: {}", err.is_err()));
    });
    tokio::task::yield_now().await;
    assert!(log.events().is_empty(), "resolved while app was running");
    within(app.close()).await.unwrap();
    assert_eq!(
        log.events(),
        [
            "closed() timed out: true, app closing: true, closed: false",
            "err() timed out: true"
        ]
    );
}

#[test]
fn a_sync_teardown_calling_close_blocking_on_its_parent_returns_at_once() {
    within_blocking(|| {
        let log = Log::new();
        let parent = Process::with_teardown(log.teardown("parent")).named("parent");
        let child = Process::with_parent(&parent).named("child");
        let (p, l) = (parent.clone(), log.clone());
        child
            .set_teardown(move || {
                p.close_blocking()?;
                l.push("child");
                Ok(())
            })
            .unwrap();
        child.close_blocking().unwrap();
        assert!(parent.is_closed());
        assert_eq!(log.events(), ["child", "parent"]);
    });
}

#[test]
fn a_function_calling_close_blocking_on_its_parent_returns_at_once() {
    // On a runtime of its own, in a bounded thread: a regression blocks a
    // worker for ever, which would also hang the runtime's drop.
    within_blocking(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let parent = Process::new();
            let p = parent.clone();
            let child = parent.go(move |_| async move {
                tokio::task::block_in_place(|| p.close_blocking()).unwrap();
            });
            parent.closed().await;
            assert!(child.is_closed());
        });
    });
}

#[tokio::test]
async fn an_async_teardown_closing_a_parent_returns_at_once() {
    let parent = Process::new();
    let child = Process::with_parent(&parent);
    let p = parent.clone();
    child
        .set_async_teardown(move || async move {
            within(p.close()).await?;
            Ok(())
        })
        .unwrap();
    within(child.close()).await.unwrap();
    within(parent.closed()).await;
}

#[tokio::test]
async fn a_function_waiting_for_an_unrelated_process_still_waits() {
    // Only a wait for oneself is cut short: closing a process that does
    // not wait for the caller waits for it to be Closed, as usual.
    let log = Log::new();
    let other = Process::with_teardown(log.teardown("other teardown"));
    let o = other.clone();
    let l = log.clone();
    let p = goprocess::go(move |_| async move {
        within(o.close()).await.unwrap();
        l.push("after other closed");
    });
    within(p.closed()).await;
    assert_eq!(log.events(), ["other teardown", "after other closed"]);
}

#[tokio::test]
async fn the_result_of_the_close_is_read_from_outside() {
    let app = Process::new().named("app");
    let a = app.clone();
    app.go(move |_| async move {
        a.close().await.unwrap();
        Err::<(), _>("failed after asking to close")
    })
    .named("worker");
    let err = within(app.err()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Children);
    assert_eq!(err.children()[0].name(), "worker");
}

/// The self-wait check holds at any depth: eight teardowns nested by
/// `close_blocking`, the innermost closing the parent that waits for it.
#[test]
fn a_close_from_inside_is_seen_eight_teardowns_deep() {
    within_blocking(|| {
        const DEPTH: usize = 8;
        let log = Log::new();
        let parent = Process::new().named("parent");
        let chain: Vec<Process> = (0..DEPTH)
            .map(|i| {
                if i + 1 == DEPTH {
                    Process::with_parent(&parent).named(format!("c{i}"))
                } else {
                    Process::new().named(format!("c{i}"))
                }
            })
            .collect();
        for (i, c) in chain.iter().enumerate() {
            let (next, p, l) = (chain.get(i + 1).cloned(), parent.clone(), log.clone());
            c.set_teardown(move || {
                match next {
                    Some(next) => next.close_blocking()?,
                    None => p.close_blocking()?, // waits for this very teardown
                }
                l.push(format!("c{i}"));
                Ok(())
            })
            .unwrap();
        }
        chain[0].close_blocking().unwrap();
        assert!(parent.is_closed());
        let expected: Vec<String> = (0..DEPTH).rev().map(|i| format!("c{i}")).collect();
        assert_eq!(log.events(), expected);
    });
}
