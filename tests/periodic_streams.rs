//! `ticker`, `ticker_go`, `on_signal`, `on_signal_go`: a run per stream
//! item, back-pressure of the sequential variants, and (unlike Go) a
//! stream that ends closes the process instead of spinning.

mod common;

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use common::{Log, within};
use goprocess::Process;
use goprocess::periodic::{self, Builder};
use tokio::sync::{Semaphore, mpsc};

/// A tokio channel as a `futures_core::Stream`.
struct Rx<T>(mpsc::Receiver<T>);

impl<T> futures_core::Stream for Rx<T> {
    type Item = T;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.0.poll_recv(cx)
    }
}

/// Run functions that report their start and wait for a permit from
/// `gate` (or their process's closing) before they return.
fn gated(
    started: mpsc::UnboundedSender<usize>,
    gate: Arc<Semaphore>,
) -> impl FnMut(Process) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + 'static {
    let mut n = 0;
    move |me: Process| {
        n += 1;
        let (started, gate, id) = (started.clone(), gate.clone(), n);
        Box::pin(async move {
            started.send(id).unwrap();
            tokio::select! {
                permit = gate.acquire() => permit.unwrap().forget(),
                _ = me.closing() => {}
            }
        })
    }
}

#[tokio::test]
async fn ticker_runs_once_per_item_in_order() {
    let (tx, rx) = mpsc::channel::<u32>(8);
    let log = Log::new();
    let l = log.clone();
    let mut n = 0;
    let p = periodic::ticker(Rx(rx), move |_me: Process| {
        n += 1;
        let (l, n) = (l.clone(), n);
        async move { l.push(format!("run {n}")) }
    });
    for i in 0..3 {
        tx.send(i).await.unwrap();
    }
    drop(tx);
    within(p.closed()).await;
    assert_eq!(log.events(), ["run 1", "run 2", "run 3"]);
    assert!(within(p.err()).await.is_ok());
}

#[tokio::test]
async fn on_signal_gives_back_pressure_one_run_at_a_time() {
    let (tx, rx) = mpsc::channel::<()>(1);
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let gate = Arc::new(Semaphore::new(0));
    let p = periodic::on_signal(Rx(rx), gated(started_tx, gate.clone()));

    tx.send(()).await.unwrap();
    assert_eq!(within(started.recv()).await, Some(1));
    // The loop does not read while a run is in flight: one item fits in
    // the channel, the next one does not.
    tx.try_send(()).unwrap();
    assert!(matches!(
        tx.try_send(()),
        Err(mpsc::error::TrySendError::Full(()))
    ));
    assert!(
        started.try_recv().is_err(),
        "no second run while the first is in flight"
    );

    gate.add_permits(1);
    assert_eq!(within(started.recv()).await, Some(2));
    within(p.close()).await.unwrap();
}

#[tokio::test]
async fn on_signal_go_overlaps_runs() {
    let (tx, rx) = mpsc::channel::<()>(1);
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let gate = Arc::new(Semaphore::new(0));
    let p = periodic::on_signal_go(Rx(rx), gated(started_tx, gate));
    for expected in 1..=3 {
        tx.send(()).await.unwrap();
        assert_eq!(within(started.recv()).await, Some(expected));
    }
    // Three runs alive at once; closing closes and waits for all of them.
    within(p.close()).await.unwrap();
}

#[tokio::test]
async fn ticker_go_overlaps_runs() {
    let (tx, rx) = mpsc::channel::<()>(4);
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let gate = Arc::new(Semaphore::new(0));
    let p = periodic::ticker_go(Rx(rx), gated(started_tx, gate));
    for _ in 0..3 {
        tx.send(()).await.unwrap();
    }
    for expected in 1..=3 {
        assert_eq!(within(started.recv()).await, Some(expected));
    }
    within(p.close()).await.unwrap();
}

#[tokio::test]
async fn a_stream_that_ends_closes_the_sequential_process() {
    for sequential in [true, false] {
        let (tx, rx) = mpsc::channel::<()>(1);
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        let f = move |_me: Process| {
            r.fetch_add(1, Ordering::SeqCst);
            async {}
        };
        let p = if sequential {
            periodic::on_signal(Rx(rx), f)
        } else {
            periodic::on_signal_go(Rx(rx), f)
        };
        tx.send(()).await.unwrap();
        drop(tx);
        within(p.closed()).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(within(p.err()).await.is_ok());
    }
}

#[tokio::test]
async fn a_stream_that_ends_lets_overlapping_runs_in_flight_finish_by_themselves() {
    let (tx, rx) = mpsc::channel::<()>(4);
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let gate = Arc::new(Semaphore::new(0));
    let p = periodic::ticker_go(Rx(rx), gated(started_tx, gate.clone()));
    tx.send(()).await.unwrap();
    tx.send(()).await.unwrap();
    drop(tx);
    assert_eq!(within(started.recv()).await, Some(1));
    assert_eq!(within(started.recv()).await, Some(2));
    // The stream has ended, but the runs are not told to close.
    tokio::task::yield_now().await;
    assert!(!p.is_closing());

    gate.add_permits(2);
    within(p.closed()).await;
    assert!(within(p.err()).await.is_ok());
}

#[tokio::test]
async fn an_empty_stream_closes_at_once_without_running_f() {
    let (tx, rx) = mpsc::channel::<()>(1);
    drop(tx);
    let p = periodic::ticker(Rx(rx), |_me: Process| async { unreachable!("no item") });
    within(p.closed()).await;
    assert!(within(p.err()).await.is_ok());
}

#[tokio::test]
async fn items_need_not_be_send() {
    /// Yields one `Rc`, then ends.
    struct RcOnce(bool);
    impl futures_core::Stream for RcOnce {
        type Item = std::rc::Rc<()>;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            let first = std::mem::replace(&mut self.0, false);
            Poll::Ready(first.then(|| std::rc::Rc::new(())))
        }
    }
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let p = periodic::ticker(RcOnce(true), move |_me: Process| {
        r.fetch_add(1, Ordering::SeqCst);
        async {}
    });
    within(p.closed()).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_builder_parent_closes_stream_processes() {
    let parent = Process::new();
    let (_tx, rx) = mpsc::channel::<()>(1);
    let (_tx2, rx2) = mpsc::channel::<()>(1);
    let a = Builder::new()
        .parent(&parent)
        .ticker(Rx(rx), |_me: Process| async {});
    let b = Builder::new()
        .parent(&parent)
        .ticker_go(Rx(rx2), |_me: Process| async {});
    within(parent.close()).await.unwrap();
    assert!(a.is_closed() && b.is_closed());
}
