//! Property test of supervision against a small model of Erlang/OTP's
//! supervisors: random failure sequences (which child ends, with `Ok`,
//! `Err` or a panic, at which paused instant) are driven through a real
//! [`Supervisor`] of each strategy, with random restart types and limits,
//! and the supervisor's record of what happened is compared with the
//! model's:
//!
//! 1. who restarts, and in which order: the exact log of every run's end,
//!    every close for a restart or the shutdown (`stop`, the last added
//!    first) and every start (in order of addition);
//! 2. how often: `restarts()` and the `Restarted` events;
//! 3. the limit: at most `max` restarts within any window of `within` (a
//!    restart exactly `within` after another still counts with it, as
//!    OTP's period; one later no longer does), one more gives up
//!    (`GaveUp`, `RestartLimit`), closing the others;
//! 4. the supervisor's error lists exactly the failures no restart
//!    handled, in order.
//!
//! Every wait is bounded (a paused clock, and a bounded close at the end).
//! `PROPTEST_CASES` sets the number of cases (default 512).

mod common;

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use goprocess::events::Event;
use goprocess::supervise::{Restart, Strategy as Otp, Supervisor};
use goprocess::{ErrorKind, Process};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use tokio::sync::oneshot;

#[derive(Clone, Copy, Debug, PartialEq)]
enum End {
    Ok,
    Err,
    Panic,
}

/// One failure of the sequence: `after` ms after the previous one, child
/// `child` (modulo the number of children) ends with `end`.
#[derive(Clone, Debug)]
struct Step {
    after: u64,
    child: usize,
    end: End,
}

#[derive(Clone, Debug)]
struct Case {
    strategy: Otp,
    children: Vec<Restart>,
    max: u32,
    within: u64,
    steps: Vec<Step>,
}

fn case() -> impl Strategy<Value = Case> {
    let strategy = prop_oneof![
        Just(Otp::OneForOne),
        Just(Otp::OneForAll),
        Just(Otp::RestForOne)
    ];
    let restart = prop_oneof![
        3 => Just(Restart::Permanent),
        2 => Just(Restart::Transient),
        1 => Just(Restart::Temporary),
    ];
    let end = prop_oneof![2 => Just(End::Err), 1 => Just(End::Ok), 1 => Just(End::Panic)];
    let step = (prop_oneof![2 => Just(0u64), 3 => 1u64..60], 0usize..4, end)
        .prop_map(|(after, child, end)| Step { after, child, end });
    (
        strategy,
        prop::collection::vec(restart, 1..=4),
        1u32..=4,
        prop_oneof![Just(10u64), Just(50), Just(100), Just(200)],
        prop::collection::vec(step, 0..24),
    )
        .prop_map(|(strategy, children, max, within, steps)| Case {
            strategy,
            children,
            max,
            within,
            steps,
        })
}

/// The model: what OTP's supervisor does, on plain data.
struct Model {
    strategy: Otp,
    restart: Vec<Restart>,
    max: usize,
    within: u64,
    /// Each child has a running run.
    alive: Vec<bool>,
    /// A temporary child that ended, or was closed by a sibling's restart.
    gone: Vec<bool>,
    /// The instants (ms) of the restarts still in the window.
    window: VecDeque<u64>,
    restarts: u64,
    gave_up: bool,
    log: Vec<String>,
    /// The failures no restart handled, by child name.
    unhandled: Vec<String>,
}

fn name(i: usize) -> String {
    format!("c{i}")
}

impl Model {
    fn new(case: &Case) -> Model {
        let n = case.children.len();
        Model {
            strategy: case.strategy,
            restart: case.children.clone(),
            max: case.max as usize,
            within: case.within,
            alive: vec![true; n],
            gone: vec![false; n],
            window: VecDeque::new(),
            restarts: 0,
            gave_up: false,
            log: (0..n).map(|i| format!("start {}", name(i))).collect(),
            unhandled: Vec::new(),
        }
    }

    fn stop(&mut self, i: usize) {
        if self.alive[i] {
            self.alive[i] = false;
            self.log.push(format!("stop {}", name(i)));
        }
    }

    /// Child `i` ends with `end` at `now` (ms).
    fn end(&mut self, i: usize, end: End, now: u64) {
        assert!(self.alive[i] && !self.gave_up);
        self.alive[i] = false;
        self.log.push(format!("end {}", name(i)));
        let failed = end != End::Ok;
        let restarts = match self.restart[i] {
            Restart::Permanent => true,
            Restart::Transient => failed,
            _ => false,
        };
        if !restarts {
            self.gone[i] |= self.restart[i] == Restart::Temporary;
            if failed {
                self.unhandled.push(name(i));
            }
            return;
        }
        while self.window.front().is_some_and(|t| now - t > self.within) {
            self.window.pop_front();
        }
        if self.window.len() >= self.max {
            self.gave_up = true;
            if failed {
                self.unhandled.push(name(i));
            }
            for j in (0..self.alive.len()).rev() {
                self.stop(j);
            }
            return;
        }
        self.window.push_back(now);
        self.restarts += 1;
        let n = self.alive.len();
        let range = match self.strategy {
            Otp::OneForOne => i..i + 1,
            Otp::OneForAll => 0..n,
            _ => i..n,
        };
        let taken: Vec<usize> = range.filter(|&j| j == i || !self.gone[j]).collect();
        for &j in taken.iter().rev() {
            self.stop(j);
        }
        for j in taken {
            if self.restart[j] == Restart::Temporary && j != i {
                self.gone[j] = true;
            } else {
                self.alive[j] = true;
                self.log.push(format!("start {}", name(j)));
            }
        }
    }

    /// The supervisor closes.
    fn close(&mut self) {
        for j in (0..self.alive.len()).rev() {
            self.stop(j);
        }
    }
}

type RunFuture = Pin<Box<dyn Future<Output = Result<(), &'static str>> + Send>>;

/// The real children: each run records itself and ends when told to.
#[derive(Clone, Default)]
struct Runs {
    log: Arc<Mutex<Vec<String>>>,
    ends: Arc<Mutex<HashMap<usize, oneshot::Sender<End>>>>,
}

impl Runs {
    fn run(&self, i: usize) -> impl Fn(Process) -> RunFuture + Send + Sync + 'static {
        let this = self.clone();
        move |me: Process| {
            let this = this.clone();
            Box::pin(async move {
                let (tx, rx) = oneshot::channel();
                this.ends.lock().unwrap().insert(i, tx);
                this.log.lock().unwrap().push(format!("start {}", name(i)));
                tokio::select! {
                    end = rx => {
                        this.log.lock().unwrap().push(format!("end {}", name(i)));
                        match end.expect("sent before the sender is dropped") {
                            End::Ok => Ok(()),
                            End::Err => Err("crashed"),
                            End::Panic => panic!("injected: c{i} panicked"),
                        }
                    }
                    _ = me.closing() => {
                        this.ends.lock().unwrap().remove(&i);
                        this.log.lock().unwrap().push(format!("stop {}", name(i)));
                        Ok(())
                    }
                }
            })
        }
    }

    fn running(&self, i: usize) -> bool {
        self.ends.lock().unwrap().contains_key(&i)
    }
}

/// Lets every task that can run, run, without moving the paused clock.
async fn settle() {
    for _ in 0..256 {
        tokio::task::yield_now().await;
    }
}

static CASES: AtomicUsize = AtomicUsize::new(0);
static STEPS: AtomicUsize = AtomicUsize::new(0);
static RESTARTS: AtomicUsize = AtomicUsize::new(0);
static GAVE_UP: AtomicUsize = AtomicUsize::new(0);
static UNHANDLED: AtomicUsize = AtomicUsize::new(0);

fn run_case(case: Case) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async move {
        let mut model = Model::new(&case);
        let runs = Runs::default();
        let events = Arc::new(Mutex::new((0u64, 0u64)));
        let app = Process::new().named("app");
        let sup = Supervisor::new(&app, case.strategy)
            .named("sup")
            .max_restarts(case.max, Duration::from_millis(case.within));
        let e = events.clone();
        sup.process().on_event(move |event| match event {
            Event::Restarted { .. } => e.lock().unwrap().0 += 1,
            Event::GaveUp { .. } => e.lock().unwrap().1 += 1,
            _ => {}
        });
        for (i, restart) in case.children.iter().enumerate() {
            sup.child(name(i), *restart, runs.run(i)).unwrap();
        }
        settle().await;

        let start = tokio::time::Instant::now();
        let mut now = 0;
        for step in &case.steps {
            if model.gave_up {
                break;
            }
            now += step.after;
            tokio::time::sleep_until(start + Duration::from_millis(now)).await;
            let i = step.child % case.children.len();
            for j in 0..case.children.len() {
                prop_assert_eq!(
                    runs.running(j),
                    model.alive[j],
                    "at {} ms, whether c{} runs; log {:?}",
                    now,
                    j,
                    runs.log.lock().unwrap()
                );
            }
            if !model.alive[i] {
                continue;
            }
            STEPS.fetch_add(1, Ordering::Relaxed);
            let tx = runs.ends.lock().unwrap().remove(&i).unwrap();
            tx.send(step.end).unwrap();
            model.end(i, step.end, now);
            settle().await;
        }
        if !model.gave_up {
            model.close();
        }
        let result = tokio::time::timeout(Duration::from_secs(1), sup.process().close()).await;
        let Ok(result) = result else {
            return Err(TestCaseError::fail(format!(
                "hung: {}",
                sup.process().shutdown_report()
            )));
        };

        let log = runs.log.lock().unwrap().clone();
        prop_assert_eq!(&log, &model.log, "the log of starts, ends and stops");
        prop_assert_eq!(sup.restarts(), model.restarts);
        let (restarted, gave_up) = *events.lock().unwrap();
        prop_assert_eq!(restarted, model.restarts, "Restarted events");
        prop_assert_eq!(gave_up, u64::from(model.gave_up), "GaveUp events");
        match result {
            Err(e) => {
                let expected = if model.gave_up {
                    ErrorKind::RestartLimit
                } else {
                    ErrorKind::Children
                };
                prop_assert_eq!(e.kind(), expected, "{}", e);
                let listed: Vec<String> =
                    e.children().iter().map(|c| c.name().to_string()).collect();
                prop_assert_eq!(&listed, &model.unhandled, "{}", e);
            }
            Ok(()) => {
                prop_assert!(!model.gave_up, "the supervisor did not give up");
                prop_assert!(
                    model.unhandled.is_empty(),
                    "failures not listed: {:?}",
                    model.unhandled
                );
            }
        }
        prop_assert_eq!(common::edge_counts(sup.process()), (0, 0));

        CASES.fetch_add(1, Ordering::Relaxed);
        RESTARTS.fetch_add(model.restarts as usize, Ordering::Relaxed);
        GAVE_UP.fetch_add(usize::from(model.gave_up), Ordering::Relaxed);
        UNHANDLED.fetch_add(model.unhandled.len(), Ordering::Relaxed);
        let _ = app.close().await;
        Ok(())
    })
}

#[test]
fn random_failure_sequences_match_the_otp_model() {
    common::quiet_injected_panics();
    let (mut runner, cases) = common::prop_runner();
    let result = runner.run(&case(), run_case);
    eprintln!(
        "supervise_props: {} cases, {} failures driven, {} restarts, {} gave up, {} failures listed",
        CASES.load(Ordering::Relaxed),
        STEPS.load(Ordering::Relaxed),
        RESTARTS.load(Ordering::Relaxed),
        GAVE_UP.load(Ordering::Relaxed),
        UNHANDLED.load(Ordering::Relaxed),
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    if cases >= 128 {
        // The generator reaches the interesting answers, so the checks bite.
        assert!(RESTARTS.load(Ordering::Relaxed) > 0, "nothing restarted");
        assert!(GAVE_UP.load(Ordering::Relaxed) > 0, "no limit broken");
        assert!(UNHANDLED.load(Ordering::Relaxed) > 0, "no failure listed");
    }
}
