//! Go's `periodicproc` timing, on a paused tokio clock so every bound is
//! exact: first run one interval after the start, every/tick spacing,
//! sequential vs overlapping runs, missed ticks, closing waits for runs.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Log, within};
use goprocess::Process;
use goprocess::periodic::{self, Builder, MissedTickBehavior};
use tokio::time::{Instant, sleep};

const SEC: Duration = Duration::from_secs(1);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Records when each run starts (in ms since `start`) and how many runs
/// are alive at once.
#[derive(Clone)]
struct Runs {
    start: Instant,
    starts: Arc<Mutex<Vec<u128>>>,
    alive: Arc<AtomicUsize>,
    max_alive: Arc<AtomicUsize>,
}

impl Runs {
    fn new() -> Runs {
        Runs {
            start: Instant::now(),
            starts: Arc::default(),
            alive: Arc::default(),
            max_alive: Arc::default(),
        }
    }

    /// A run function that lasts `length(n)` for its n-th run (0-based),
    /// or until its process closes.
    fn func(
        &self,
        length: impl Fn(usize) -> Duration + Send + 'static,
    ) -> impl FnMut(Process) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + 'static
    {
        let runs = self.clone();
        move |me: Process| {
            let runs = runs.clone();
            let n = {
                let mut starts = runs.starts.lock().unwrap();
                starts.push(runs.start.elapsed().as_millis());
                starts.len() - 1
            };
            let length = length(n);
            Box::pin(async move {
                let now = runs.alive.fetch_add(1, Ordering::SeqCst) + 1;
                runs.max_alive.fetch_max(now, Ordering::SeqCst);
                tokio::select! {
                    _ = sleep(length) => {}
                    _ = me.closing() => {}
                }
                runs.alive.fetch_sub(1, Ordering::SeqCst);
            })
        }
    }

    fn starts(&self) -> Vec<u128> {
        self.starts.lock().unwrap().clone()
    }

    fn max_alive(&self) -> usize {
        self.max_alive.load(Ordering::SeqCst)
    }
}

#[tokio::test(start_paused = true)]
async fn every_first_run_comes_one_interval_after_start_never_at_once() {
    let runs = Runs::new();
    let p = periodic::every(SEC, runs.func(|_| Duration::ZERO));
    sleep(ms(999)).await;
    assert_eq!(
        runs.starts(),
        Vec::<u128>::new(),
        "no run before one interval"
    );
    sleep(ms(1)).await;
    tokio::task::yield_now().await;
    assert_eq!(runs.starts(), vec![1000]);
    within(p.close()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn every_waits_a_full_interval_after_each_run_has_closed() {
    let runs = Runs::new();
    let p = periodic::every(SEC, runs.func(|_| ms(300)));
    sleep(ms(4000)).await;
    within(p.close()).await.unwrap();
    // Go: time.After(interval) starts after the previous run closed.
    assert_eq!(runs.starts(), vec![1000, 2300, 3600]);
    assert_eq!(runs.max_alive(), 1);
}

#[tokio::test(start_paused = true)]
async fn every_never_overlaps_even_when_runs_outlast_the_interval() {
    let runs = Runs::new();
    let p = periodic::every(SEC, runs.func(|_| ms(2500)));
    sleep(ms(8500)).await;
    within(p.close()).await.unwrap();
    assert_eq!(runs.starts(), vec![1000, 4500, 8000]);
    assert_eq!(runs.max_alive(), 1);
}

#[tokio::test(start_paused = true)]
async fn every_go_starts_one_run_per_interval_and_runs_overlap() {
    let runs = Runs::new();
    let p = periodic::every_go(SEC, runs.func(|_| ms(2500)));
    sleep(ms(4500)).await;
    within(p.close()).await.unwrap();
    assert_eq!(runs.starts(), vec![1000, 2000, 3000, 4000]);
    assert_eq!(runs.max_alive(), 3, "runs of 2.5 s every 1 s overlap by 3");
}

#[tokio::test(start_paused = true)]
async fn tick_keeps_a_fixed_rate() {
    let runs = Runs::new();
    let p = periodic::tick(SEC, runs.func(|_| ms(300)));
    sleep(ms(3500)).await;
    within(p.close()).await.unwrap();
    assert_eq!(runs.starts(), vec![1000, 2000, 3000]);
    assert_eq!(runs.max_alive(), 1);
}

#[tokio::test(start_paused = true)]
async fn tick_skips_missed_ticks_by_default_like_go() {
    // The first run lasts 2.5 intervals: one late tick fires at once when
    // it ends (Go's ticker buffers one), then the original schedule.
    let runs = Runs::new();
    let p = periodic::tick(SEC, runs.func(|n| if n == 0 { ms(2500) } else { ms(0) }));
    sleep(ms(5500)).await;
    within(p.close()).await.unwrap();
    assert_eq!(runs.starts(), vec![1000, 3500, 4000, 5000]);
    assert_eq!(runs.max_alive(), 1);
}

#[tokio::test(start_paused = true)]
async fn tick_missed_tick_behavior_delay_restarts_the_schedule() {
    let runs = Runs::new();
    let p = Builder::new()
        .missed_tick_behavior(MissedTickBehavior::Delay)
        .tick(SEC, runs.func(|n| if n == 0 { ms(2500) } else { ms(0) }));
    sleep(ms(5600)).await;
    within(p.close()).await.unwrap();
    assert_eq!(runs.starts(), vec![1000, 3500, 4500, 5500]);
}

#[tokio::test(start_paused = true)]
async fn tick_missed_tick_behavior_burst_is_available_but_not_the_default() {
    let runs = Runs::new();
    let p = Builder::new()
        .missed_tick_behavior(MissedTickBehavior::Burst)
        .tick(SEC, runs.func(|n| if n == 0 { ms(2500) } else { ms(0) }));
    sleep(ms(4500)).await;
    within(p.close()).await.unwrap();
    // The ticks of 2 s and 3 s fire back to back once the slow run ends.
    assert_eq!(runs.starts(), vec![1000, 3500, 3500, 4000]);
}

#[tokio::test(start_paused = true)]
async fn tick_go_keeps_the_rate_while_runs_overlap() {
    let runs = Runs::new();
    let p = periodic::tick_go(SEC, runs.func(|_| ms(2500)));
    sleep(ms(4500)).await;
    within(p.close()).await.unwrap();
    assert_eq!(runs.starts(), vec![1000, 2000, 3000, 4000]);
    assert_eq!(runs.max_alive(), 3);
}

#[tokio::test(start_paused = true)]
async fn each_run_is_a_child_whose_closing_fires_when_the_periodic_process_closes() {
    let log = Log::new();
    let l = log.clone();
    let p = periodic::every(SEC, move |me: Process| {
        let l = l.clone();
        async move {
            l.push("run started");
            me.closing().await;
            l.push("run saw closing");
            // Slow cleanup: closing the periodic process must wait for it.
            sleep(ms(500)).await;
            l.push("run finished");
        }
    });
    sleep(ms(1500)).await;
    let started = Instant::now();
    within(p.close()).await.unwrap();
    log.push("close returned");
    assert_eq!(
        started.elapsed(),
        ms(500),
        "close waited for the run in flight"
    );
    assert_eq!(
        log.events(),
        [
            "run started",
            "run saw closing",
            "run finished",
            "close returned"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn closing_waits_for_every_overlapping_run_in_flight() {
    let finished = Arc::new(AtomicUsize::new(0));
    let f = finished.clone();
    let p = periodic::tick_go(SEC, move |me: Process| {
        let f = f.clone();
        async move {
            me.closing().await;
            sleep(ms(100)).await;
            f.fetch_add(1, Ordering::SeqCst);
        }
    });
    sleep(ms(3500)).await;
    within(p.close()).await.unwrap();
    assert_eq!(finished.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn a_failing_or_panicking_run_is_reported_and_later_runs_still_happen() {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let p = periodic::every(SEC, move |_me: Process| {
        let n = c.fetch_add(1, Ordering::SeqCst);
        async move {
            match n {
                0 => panic!("first run panics"),
                1 => Err("second run fails"),
                _ => Ok(()),
            }
        }
    });
    sleep(ms(3500)).await;
    let err = within(p.close()).await.unwrap_err();
    assert_eq!(count.load(Ordering::SeqCst), 3);
    assert_eq!(err.kind(), goprocess::ErrorKind::Children);
    assert_eq!(err.children().len(), 2, "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_builder_with_a_parent_makes_children_of_it() {
    let parent = Process::new();
    let builder = Builder::new().parent(&parent);
    let runs = Runs::new();
    let a = builder.every(SEC, runs.func(|_| ms(0)));
    let b = builder.tick_go(SEC, runs.func(|_| ms(0)));
    sleep(ms(1500)).await;
    assert_eq!(runs.starts(), vec![1000, 1000]);
    within(parent.close()).await.unwrap();
    assert!(a.is_closed() && b.is_closed());
}

#[tokio::test(start_paused = true)]
async fn the_free_functions_make_roots() {
    let p = periodic::every(SEC, |_me: Process| async {});
    let other = Process::new();
    within(other.close()).await.unwrap();
    assert!(!p.is_closing());
    within(p.close()).await.unwrap();
}
