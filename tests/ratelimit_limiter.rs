//! `RateLimiter`: at most `limit` limited children alive at once, slots
//! returned when a child (and its descendants) closed, unlimited `go`,
//! closing while callers wait, and a zero limit.

mod common;

use std::num::NonZeroUsize;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{Log, within};
use goprocess::ratelimit::RateLimiter;
use goprocess::{AsProcess, ErrorKind, Process};
use tokio::sync::{Semaphore, oneshot};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn at_most_limit_children_are_alive_at_once() {
    const LIMIT: usize = 3;
    const JOBS: usize = 60;
    let limiter = RateLimiter::new(&Process::new(), LIMIT);
    let alive = Arc::new(AtomicUsize::new(0));
    let max_alive = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));

    // Several submitters race for the slots.
    let mut submitters = Vec::new();
    for _ in 0..4 {
        let (limiter, alive, max_alive, done) = (
            limiter.clone(),
            alive.clone(),
            max_alive.clone(),
            done.clone(),
        );
        submitters.push(tokio::spawn(async move {
            for _ in 0..JOBS / 4 {
                let (alive, max_alive, done) = (alive.clone(), max_alive.clone(), done.clone());
                limiter
                    .limited_go(move |_me| async move {
                        let now = alive.fetch_add(1, Ordering::SeqCst) + 1;
                        max_alive.fetch_max(now, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(1)).await; // some work
                        tokio::task::yield_now().await;
                        alive.fetch_sub(1, Ordering::SeqCst);
                        done.fetch_add(1, Ordering::SeqCst);
                    })
                    .await;
            }
        }));
    }
    for s in submitters {
        within(s).await.unwrap();
    }
    within(limiter.process().close_after_children())
        .await
        .unwrap();
    assert_eq!(done.load(Ordering::SeqCst), JOBS);
    let max = max_alive.load(Ordering::SeqCst);
    assert!(
        (1..=LIMIT).contains(&max),
        "{max} alive at once, limit {LIMIT}"
    );
    // Every slot comes back once the children have closed.
    within(async {
        while limiter.available_slots() < LIMIT {
            tokio::task::yield_now().await;
        }
    })
    .await;
}

#[tokio::test]
async fn a_slot_is_returned_when_the_child_closes() {
    let limiter = RateLimiter::new(&Process::new(), 1);
    let first = limiter
        .limited_go(|me| async move { me.closing().await })
        .await;
    assert_eq!(limiter.available_slots(), 0);

    let log = Log::new();
    let l = log.clone();
    let limiter2 = limiter.clone();
    let second = tokio::spawn(async move {
        limiter2
            .limited_go(move |_me| async move { l.push("second ran") })
            .await
    });
    tokio::task::yield_now().await;
    assert!(log.events().is_empty(), "the second waits for the slot");

    within(first.close()).await.unwrap();
    let second = within(second).await.unwrap();
    within(second.closed()).await;
    assert_eq!(log.events(), ["second ran"]);
    within(limiter.process().close()).await.unwrap();
}

#[tokio::test]
async fn a_slot_is_held_until_the_childs_descendants_have_closed() {
    let limiter = RateLimiter::new(&Process::new(), 1);
    let (release_tx, release_rx) = oneshot::channel::<()>();
    let (grandchild_tx, grandchild_rx) = oneshot::channel::<Process>();
    let child = limiter
        .limited_go(move |me| async move {
            // Work handed to a grandchild still counts against the limit.
            let g = me.go(move |_| async move {
                let _ = release_rx.await;
            });
            grandchild_tx.send(g).unwrap();
        })
        .await;
    let grandchild = within(grandchild_rx).await.unwrap();

    let waiter = {
        let limiter = limiter.clone();
        tokio::spawn(async move { limiter.limited_go(|_| async {}).await })
    };
    tokio::task::yield_now().await;
    assert!(!child.is_closed(), "its grandchild is still running");
    assert!(!waiter.is_finished());
    assert_eq!(limiter.available_slots(), 0);

    release_tx.send(()).unwrap();
    within(grandchild.closed()).await;
    within(child.closed()).await;
    within(within(waiter).await.unwrap().closed()).await;
    within(limiter.process().close()).await.unwrap();
}

#[tokio::test]
async fn go_is_not_limited_and_takes_no_slot() {
    let limiter = RateLimiter::new(&Process::new(), 1);
    let _busy = limiter
        .limited_go(|me| async move { me.closing().await })
        .await;
    let started = Arc::new(Semaphore::new(0));
    let mut unlimited = Vec::new();
    for _ in 0..5 {
        let started = started.clone();
        unlimited.push(limiter.go(move |me| async move {
            started.add_permits(1);
            me.closing().await
        }));
    }
    // All five run although the only slot is taken.
    within(started.acquire_many(5)).await.unwrap().forget();
    assert_eq!(limiter.available_slots(), 0);
    within(limiter.process().close()).await.unwrap();
    assert!(unlimited.iter().all(Process::is_closed));
}

#[tokio::test]
async fn closing_the_limiter_refuses_waiting_callers_promptly() {
    let limiter = RateLimiter::new(&Process::new(), 1);
    let busy = limiter
        .limited_go(|me| async move { me.closing().await })
        .await;
    let ran = Arc::new(AtomicBool::new(false));
    let mut waiters = Vec::new();
    for _ in 0..3 {
        let (limiter, ran) = (limiter.clone(), ran.clone());
        waiters.push(tokio::spawn(async move {
            limiter
                .limited_go(move |_| async move { ran.store(true, Ordering::SeqCst) })
                .await
        }));
    }
    tokio::task::yield_now().await;

    within(limiter.process().close()).await.unwrap();
    for w in waiters {
        let refused = within(w).await.unwrap();
        assert!(refused.is_closed());
        let err = within(refused.err()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ParentClosed);
    }
    assert!(busy.is_closed());
    assert!(!ran.load(Ordering::SeqCst), "f never runs when refused");

    // After the close, callers are refused at once, even with free slots.
    assert_eq!(limiter.available_slots(), 1);
    let late = within(limiter.limited_go(|_| async { unreachable!() })).await;
    assert_eq!(
        within(late.err()).await.unwrap_err().kind(),
        ErrorKind::ParentClosed
    );
}

#[tokio::test]
async fn dropping_a_waiting_limited_go_takes_no_slot() {
    let limiter = RateLimiter::new(&Process::new(), 1);
    let busy = limiter
        .limited_go(|me| async move { me.closing().await })
        .await;
    let waiting = limiter.limited_go(|_| async { unreachable!("cancelled") });
    let timed_out = tokio::time::timeout(Duration::from_millis(10), waiting).await;
    assert!(timed_out.is_err());
    within(busy.close()).await.unwrap();
    within(async {
        while limiter.available_slots() < 1 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    within(limiter.process().close()).await.unwrap();
}

#[test]
fn a_zero_limit_panics_at_construction_naming_the_fix() {
    let payload = catch_unwind(AssertUnwindSafe(|| RateLimiter::new(&Process::new(), 0)))
        .expect_err("limit 0 must be refused");
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(msg.contains("RateLimiter::new"), "{msg}");
    assert!(msg.contains("at least 1"), "{msg}");
    assert!(msg.contains("with_limit"), "names the alternative: {msg}");

    // The type-checked constructor cannot be given zero.
    let limiter = RateLimiter::with_limit(&Process::new(), NonZeroUsize::MIN);
    assert_eq!(limiter.limit(), 1);
}

#[test]
fn an_absurd_limit_is_capped_not_a_panic() {
    let limiter = RateLimiter::new(&Process::new(), usize::MAX);
    assert_eq!(limiter.limit(), Semaphore::MAX_PERMITS);
}

#[tokio::test]
async fn a_limiter_of_a_closed_parent_refuses_at_once() {
    let parent = Process::new();
    within(parent.close()).await.unwrap();
    let limiter = RateLimiter::new(&parent, 2);
    assert!(limiter.process().is_closed());
    let p = within(limiter.limited_go(|_| async { unreachable!() })).await;
    assert_eq!(
        within(p.err()).await.unwrap_err().kind(),
        ErrorKind::ParentClosed
    );
}

#[tokio::test]
async fn the_limiter_is_a_child_of_its_parent_and_a_process() {
    fn close_it(p: &impl AsProcess) -> impl Future<Output = Result<(), goprocess::Error>> {
        p.as_process().close()
    }
    let parent = Process::new();
    let limiter = RateLimiter::new(&parent, 2);
    let job = limiter
        .limited_go(|me| async move { me.closing().await })
        .await;
    // Its process, by `process()` and as `AsProcess`.
    assert!(!limiter.process().is_closing());
    assert_eq!(limiter.process(), limiter.as_process());
    within(parent.close()).await.unwrap();
    assert!(limiter.process().is_closed() && job.is_closed());
    within(close_it(&limiter)).await.unwrap();
}

#[tokio::test]
async fn waiters_get_slots_in_the_order_they_came() {
    let limiter = RateLimiter::new(&Process::new(), 1);
    let busy = limiter
        .limited_go(|me| async move { me.closing().await })
        .await;
    let log = Log::new();
    let mut waiters = Vec::new();
    for i in 0..3 {
        let (limiter, log) = (limiter.clone(), log.clone());
        waiters.push(tokio::spawn(async move {
            limiter
                .limited_go(move |_| async move { log.push(format!("job {i}")) })
                .await
        }));
        tokio::task::yield_now().await; // let it queue
    }
    within(busy.close()).await.unwrap();
    for w in waiters {
        within(within(w).await.unwrap().closed()).await;
    }
    assert_eq!(log.events(), ["job 0", "job 1", "job 2"]);
    within(limiter.process().close()).await.unwrap();
}

#[tokio::test]
async fn no_task_is_left_behind() {
    let tasks = || {
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
    };
    let before = tasks();
    let limiter = RateLimiter::new(&Process::new(), 2);
    for _ in 0..2 {
        let _ = limiter
            .limited_go(|me| async move { me.closing().await })
            .await;
    }
    limiter.go(|me| async move { me.closing().await });
    let waiter = {
        let limiter = limiter.clone();
        tokio::spawn(async move { limiter.limited_go(|_| async {}).await })
    };
    tokio::task::yield_now().await;
    within(limiter.process().close()).await.unwrap();
    within(waiter).await.unwrap();
    // The jobs, the tasks that give their slots back, and the waiter end.
    within(async {
        while tasks() > before {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert_eq!(limiter.available_slots(), 2);
}

/// The slot is free again by the time `closed()` resolves, on any thread:
/// it is released before the process is marked Closed. (It used to be
/// released just after, so a read right after `closed()` was one short in
/// about a quarter of runs on two workers.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_slot_is_back_before_closed_resolves() {
    let limiter = RateLimiter::new(&Process::new(), 1);
    for i in 0..10_000 {
        let job = within(limiter.limited_go(|_| async {})).await;
        within(job.closed()).await;
        assert_eq!(limiter.available_slots(), 1, "iteration {i}");
    }
    within(limiter.process().close()).await.unwrap();
}
