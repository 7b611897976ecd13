//! loom models of the close state machine: every interleaving of the locks
//! and phase changes of a few racing operations.
//!
//! Run with:
//!
//! ```sh
//! RUSTFLAGS="--cfg goprocess_loom" LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test -p goprocess --release --test loom --target-dir target/loom
//! ```
#![cfg(goprocess_loom)]

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Waker};

use goprocess::{ErrorKind, Process};
use loom::sync::Mutex;
use loom::thread;

type Log = Arc<Mutex<Vec<&'static str>>>;

fn teardown(
    log: &Log,
    name: &'static str,
) -> impl FnOnce() -> Result<(), goprocess::BoxError> + Send + 'static {
    let log = log.clone();
    move || {
        log.lock().unwrap().push(name);
        Ok(())
    }
}

/// How many edges go out of `p` and come into it, from its snapshot: both
/// zero once it has closed.
fn edge_counts(p: &Process) -> (usize, usize) {
    let snapshot = p.snapshot();
    let info = snapshot.get(p.id()).expect("a snapshot holds its root");
    (info.edges().len(), info.incoming().len())
}

/// Starts a close and returns at once: the first poll of `close()` runs
/// every step that can run now, then only waits.
fn start_close(p: &Process) {
    let mut close = pin!(p.close());
    let _ = close.as_mut().poll(&mut Context::from_waker(Waker::noop()));
}

#[test]
fn close_racing_add_child() {
    loom::model(|| {
        let log: Log = Arc::default();
        let parent = Process::with_teardown(teardown(&log, "parent"));
        let child = Process::with_teardown(teardown(&log, "child"));
        let adder = {
            let (parent, child) = (parent.clone(), child.clone());
            thread::spawn(move || parent.add_child(&child))
        };
        start_close(&parent);
        let added = adder.join().unwrap();
        let events = log.lock().unwrap().clone();
        assert!(parent.is_closed());
        match added {
            Ok(()) => {
                assert!(
                    child.is_closed(),
                    "an accepted child is closed with its parent"
                );
                // Leaf first, unless the child came while the parent's
                // teardown was already running: then it is only closed
                // before the parent is Closed.
                let mut sorted = events.clone();
                sorted.sort();
                assert_eq!(sorted, ["child", "parent"], "each teardown exactly once");
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Closed);
                assert!(!child.is_closing());
                assert_eq!(events, ["parent"]);
            }
        }
        assert_eq!(edge_counts(&parent), (0, 0));
    });
}

#[test]
fn two_closers_one_teardown() {
    loom::model(|| {
        let log: Log = Arc::default();
        let p = Process::with_teardown(teardown(&log, "p"));
        let other = {
            let p = p.clone();
            thread::spawn(move || start_close(&p))
        };
        start_close(&p);
        other.join().unwrap();
        assert!(p.is_closed());
        assert_eq!(*log.lock().unwrap(), ["p"]);
    });
}

#[test]
fn parent_and_child_closed_at_once_tear_down_leaf_first() {
    loom::model(|| {
        let log: Log = Arc::default();
        let parent = Process::with_teardown(teardown(&log, "parent"));
        let child = Process::with_parent(&parent);
        child.set_teardown(teardown(&log, "child")).unwrap();
        let t = {
            let child = child.clone();
            thread::spawn(move || start_close(&child))
        };
        start_close(&parent);
        if parent.is_closed() {
            // Whichever thread finished the parent, its child already
            // looks Closed from here.
            assert!(child.is_closed(), "a Closed parent implies Closed children");
        }
        t.join().unwrap();
        assert!(parent.is_closed() && child.is_closed());
        assert_eq!(*log.lock().unwrap(), ["child", "parent"]);
        assert_eq!(edge_counts(&parent), (0, 0));
    });
}

#[test]
fn wait_for_racing_the_targets_close() {
    loom::model(|| {
        let log: Log = Arc::default();
        let waiter = Process::with_teardown(teardown(&log, "waiter"));
        let target = Process::with_teardown(teardown(&log, "target"));
        let t = {
            let target = target.clone();
            thread::spawn(move || start_close(&target))
        };
        let linked = waiter.wait_for(&target);
        t.join().unwrap();
        assert!(
            linked.is_ok(),
            "a closed target is simply nothing to wait for"
        );
        start_close(&waiter);
        assert!(waiter.is_closed());
        assert_eq!(*log.lock().unwrap(), ["target", "waiter"]);
        assert_eq!(edge_counts(&waiter), (0, 0));
    });
}

/// A waker that records whether it was woken.
#[derive(Default)]
struct Flag(loom::sync::atomic::AtomicBool);

impl std::task::Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, loom::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn waiters_racing_the_close_are_woken_or_see_it() {
    loom::model(|| {
        let parent = Process::new();
        let p = Process::with_parent(&parent);
        let closer = {
            let p = p.clone();
            thread::spawn(move || start_close(&p))
        };
        let (closed_flag, closing_flag) = (Arc::new(Flag::default()), Arc::new(Flag::default()));
        let closed_waker = Waker::from(closed_flag.clone());
        let closing_waker = Waker::from(closing_flag.clone());
        let mut closed = pin!(p.closed());
        let mut closing = pin!(p.closing());
        let closed_first = closed
            .as_mut()
            .poll(&mut Context::from_waker(&closed_waker));
        let closing_first = closing
            .as_mut()
            .poll(&mut Context::from_waker(&closing_waker));
        closer.join().unwrap();
        assert!(p.is_closed());
        let noop = &mut Context::from_waker(Waker::noop());
        if closed_first.is_pending() {
            assert!(
                closed_flag.0.load(loom::sync::atomic::Ordering::SeqCst),
                "woken"
            );
            assert!(closed.poll(noop).is_ready());
        }
        if closing_first.is_pending() {
            assert!(
                closing_flag.0.load(loom::sync::atomic::Ordering::SeqCst),
                "woken"
            );
            assert!(closing.poll(noop).is_ready());
        }
        assert_eq!(edge_counts(&parent), (0, 0));
    });
}

#[test]
fn a_waiter_dropped_during_the_close_leaves_nothing_behind() {
    loom::model(|| {
        let p = Process::new();
        let mut first = Box::pin(p.closed());
        let _ = first.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        let closer = {
            let p = p.clone();
            thread::spawn(move || start_close(&p))
        };
        drop(first);
        closer.join().unwrap();
        assert!(p.is_closed());
        let mut second = pin!(p.closed());
        assert!(
            second
                .as_mut()
                .poll(&mut Context::from_waker(Waker::noop()))
                .is_ready()
        );
    });
}
