//! Bad input to `periodic`: each gets a clear, documented result, never a
//! hang or a busy loop.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::within;
use goprocess::periodic::{self, Builder};
use goprocess::{ErrorKind, Process};

fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[tokio::test(start_paused = true)]
async fn a_zero_interval_panics_at_the_call_naming_the_fix() {
    type Call = Box<dyn Fn()>;
    let calls: [(&str, Call); 4] = [
        (
            "every",
            Box::new(|| drop(periodic::every(Duration::ZERO, |_: Process| async {}))),
        ),
        (
            "every_go",
            Box::new(|| drop(periodic::every_go(Duration::ZERO, |_: Process| async {}))),
        ),
        (
            "tick",
            Box::new(|| drop(periodic::tick(Duration::ZERO, |_: Process| async {}))),
        ),
        (
            "tick_go",
            Box::new(|| drop(periodic::tick_go(Duration::ZERO, |_: Process| async {}))),
        ),
    ];
    for (name, call) in calls {
        let msg = panic_message(call);
        assert!(
            msg.contains(&format!("goprocess::periodic::{name}")),
            "{msg}"
        );
        assert!(msg.contains("interval must be greater than zero"), "{msg}");
        assert!(
            msg.contains("Duration::from_millis"),
            "names the fix: {msg}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn an_absurd_interval_never_fires_and_still_closes_promptly() {
    let runs = Arc::new(AtomicUsize::new(0));
    let mut ps = Vec::new();
    for builder in [Builder::new()] {
        for interval in [Duration::MAX, Duration::from_secs(u64::MAX / 2)] {
            let r = runs.clone();
            let f = move |_: Process| {
                r.fetch_add(1, Ordering::SeqCst);
                async {}
            };
            ps.push(builder.every(interval, f.clone()));
            ps.push(builder.every_go(interval, f.clone()));
            ps.push(builder.tick(interval, f.clone()));
            ps.push(builder.tick_go(interval, f));
        }
    }
    // A year of paused time passes in an instant.
    tokio::time::sleep(Duration::from_secs(365 * 24 * 3600)).await;
    for p in ps {
        within(p.close()).await.unwrap();
    }
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn a_tiny_interval_is_not_a_busy_loop() {
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let p = periodic::tick(Duration::from_nanos(1), move |_: Process| {
        r.fetch_add(1, Ordering::SeqCst);
        async {}
    });
    // Rounded up to tokio's timer resolution: one run per ms, even on a
    // paused clock (which would otherwise step 1 ns at a time).
    tokio::time::sleep(Duration::from_micros(10_500)).await;
    within(p.close()).await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 10);
}

#[test]
fn without_a_runtime_it_panics_naming_the_fix() {
    let msg = panic_message(|| {
        drop(periodic::every(
            Duration::from_secs(1),
            |_: Process| async {},
        ))
    });
    assert!(msg.contains("goprocess::periodic::every"), "{msg}");
    assert!(msg.contains("needs a tokio runtime"), "{msg}");
    let msg = panic_message(|| {
        let (_tx, rx) = tokio::sync::mpsc::channel::<()>(1);
        struct Rx(tokio::sync::mpsc::Receiver<()>);
        impl futures_core::Stream for Rx {
            type Item = ();
            fn poll_next(
                mut self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<()>> {
                self.0.poll_recv(cx)
            }
        }
        drop(periodic::on_signal(Rx(rx), |_: Process| async {}));
    });
    assert!(msg.contains("goprocess::periodic::on_signal"), "{msg}");
}

#[tokio::test(start_paused = true)]
async fn a_closed_parent_gives_a_closed_process_and_f_never_runs() {
    let parent = Process::new();
    within(parent.close()).await.unwrap();
    let p = Builder::new()
        .parent(&parent)
        .tick(Duration::from_secs(1), |_: Process| async {
            unreachable!()
        });
    assert!(p.is_closed());
    let err = within(p.err()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ParentClosed);
    tokio::time::sleep(Duration::from_secs(5)).await;
}

#[tokio::test(start_paused = true)]
async fn closing_before_the_first_interval_runs_nothing() {
    let p = periodic::every(Duration::from_secs(1), |_: Process| async {
        unreachable!()
    });
    tokio::time::sleep(Duration::from_millis(999)).await;
    within(p.close()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
}

#[tokio::test(start_paused = true)]
async fn a_closed_periodic_process_leaves_no_task_behind() {
    let tasks = || {
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
    };
    let before = tasks();
    let p = periodic::tick_go(Duration::from_millis(10), |me: Process| async move {
        me.closing().await
    });
    tokio::time::sleep(Duration::from_millis(55)).await;
    assert_eq!(tasks(), before + 6, "the loop and five runs");
    within(p.close()).await.unwrap();
    within(async {
        while tasks() > before {
            tokio::task::yield_now().await;
        }
    })
    .await;
}

/// A runtime built without timers: the interval functions panic at the
/// call, naming the fix, as their docs say (not later, in the loop, as a
/// `Panic` error of the process).
#[test]
fn without_timers_the_interval_functions_panic_at_the_call() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let _in = rt.enter();
    let every = || {
        drop(periodic::every(
            Duration::from_secs(1),
            |_: Process| async {},
        ))
    };
    let every_go = || {
        drop(periodic::every_go(
            Duration::from_secs(1),
            |_: Process| async {},
        ))
    };
    let tick = || drop(periodic::tick(Duration::from_secs(1), |_: Process| async {}));
    let tick_go = || {
        drop(periodic::tick_go(
            Duration::from_secs(1),
            |_: Process| async {},
        ))
    };
    for f in [&every as &dyn Fn(), &every_go, &tick, &tick_go] {
        let msg = panic_message(f);
        assert!(msg.contains("timers are disabled"), "{msg}");
        assert!(msg.contains("enable_time"), "{msg}");
    }
}
