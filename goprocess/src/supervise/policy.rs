//! The supervisor's rules as plain values: which children a restart
//! takes ([`Strategy`]), which ends restart a child ([`Restart`]), when
//! the supervisor shuts itself down ([`AutoShutdown`]), how many restarts
//! a window allows ([`Intensity`]), and how long to wait before one
//! ([`Backoff`]). No process, lock or task here: `mod.rs` applies them,
//! and the property tests check them against a model.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// Which children a restart takes along (Erlang/OTP's restart strategies).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Only the child whose process closed is restarted (`one_for_one`).
    OneForOne,
    /// Every other child is closed too, then all are started again in
    /// their order (`one_for_all`): for children that only work together.
    OneForAll,
    /// The children added after it are closed, then it and they are
    /// started again in their order (`rest_for_one`): for children that
    /// depend on the ones added before them.
    RestForOne,
}

/// Which ends of a child's process restart it (Erlang/OTP's restart types).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Restart {
    /// Restarted whenever it closes, with or without an error (a server).
    Permanent,
    /// Restarted only when it closes with an error, panics included (a job
    /// that may finish).
    Transient,
    /// Never restarted (a one-off task); closed and not started again when
    /// a sibling's restart takes it along.
    Temporary,
}

/// When a supervisor closes itself because its *significant* children
/// ended (Erlang/OTP's `auto_shutdown`, OTP 24). A child is significant
/// when its spec says so ([`ChildSpec::significant`](super::ChildSpec::significant));
/// only a child's own end counts: not a
/// [`terminate`](super::SupervisedChild::terminate), nor a close for a
/// sibling's restart. A supervisor closed this way ends with `Ok`, unless
/// a failure is listed (a significant `Temporary` child that failed).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AutoShutdown {
    /// Never (the default, as OTP): significant children change nothing.
    #[default]
    Never,
    /// Once any significant child ended without being restarted (a
    /// `Transient` one that returned `Ok`, a `Temporary` one that ended):
    /// for a group whose work is done when one of its parts is.
    AnySignificant,
    /// Once every significant child has ended without being restarted
    /// (a terminated one counts as ended): for a batch of jobs.
    AllSignificant,
}

impl Restart {
    /// Whether a run that ended with `failed` is restarted.
    pub(crate) fn restarts(self, failed: bool) -> bool {
        match self {
            Restart::Permanent => true,
            Restart::Transient => failed,
            Restart::Temporary => false,
        }
    }
}

impl Strategy {
    /// The children (indexes, in their order) that the restart of
    /// `failed` takes along, among `count` children of which the `left`
    /// ones (temporary children that ended, terminated children) are left
    /// out.
    pub(crate) fn takes(
        self,
        failed: usize,
        count: usize,
        left: impl Fn(usize) -> bool,
    ) -> Vec<usize> {
        let range = match self {
            Strategy::OneForOne => failed..failed + 1,
            Strategy::OneForAll => 0..count,
            Strategy::RestForOne => failed..count,
        };
        range.filter(|&i| i == failed || !left(i)).collect()
    }
}

/// At most `max` restarts within any window of `within` (Erlang/OTP's
/// restart intensity and period), or no limit at all. Keeps at most `max`
/// instants: memory stays flat however many restarts there are (and an
/// unlimited one keeps none).
#[derive(Clone, Debug)]
pub(crate) struct Intensity {
    /// `None`: unlimited.
    limit: Option<(u32, Duration)>,
    recent: VecDeque<Instant>,
}

impl Intensity {
    pub(crate) fn new(max: u32, within: Duration) -> Intensity {
        Intensity {
            limit: Some((max, within)),
            recent: VecDeque::new(),
        }
    }

    pub(crate) fn unlimited() -> Intensity {
        Intensity {
            limit: None,
            recent: VecDeque::new(),
        }
    }

    /// The limit: at most this many restarts within this window.
    pub(crate) fn limit(&self) -> Option<(u32, Duration)> {
        self.limit
    }

    /// Records a restart at `now` if the limit allows it; false if it is
    /// one more than the limit (the supervisor gives up). A restart made
    /// exactly `within` after another still counts with it (as OTP's
    /// `period`: the boundary is in the window). `now` is only called
    /// when there is a limit: an unlimited supervisor reads no clock.
    pub(crate) fn allow(&mut self, now: impl FnOnce() -> Instant) -> bool {
        let Some((max, within)) = self.limit else {
            return true;
        };
        let now = now();
        while self
            .recent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > within)
        {
            self.recent.pop_front();
        }
        if self.recent.len() >= max as usize {
            return false;
        }
        self.recent.push_back(now);
        true
    }
}

/// How much a backoff wait may differ from its nominal value: each wait is
/// drawn uniformly within ±10% of it, so that children restarted together
/// do not come back in lockstep.
pub const JITTER: f64 = 0.1;

/// The wait before a child's restart: `first`, doubling for each restart
/// of the same child up to `max`, back to `first` once a run stayed up for
/// `max`.
#[derive(Clone, Debug)]
pub(crate) struct Backoff {
    first: Duration,
    max: Duration,
    next: Option<Duration>,
}

impl Backoff {
    pub(crate) fn new(first: Duration, max: Duration) -> Backoff {
        Backoff {
            first,
            max,
            next: None,
        }
    }

    /// The nominal wait before the next restart, given how long the run
    /// that ended was up; advances the doubling.
    pub(crate) fn next(&mut self, up_for: Duration) -> Duration {
        if up_for >= self.max {
            self.next = None;
        }
        let wait = self.next.unwrap_or(self.first);
        self.next = Some(wait.saturating_mul(2).min(self.max));
        wait
    }
}

/// The longest backoff a supervisor accepts: a restart is a wait the
/// supervisor keeps a timer for, and a year is already no restart at all.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(365 * 24 * 3600);

/// `wait` with the jitter applied (see [`JITTER`]), from `random` in
/// `[0, 1)`; saturating, so no wait can overflow.
pub(crate) fn jittered(wait: Duration, random: f64) -> Duration {
    let factor = 1.0 - JITTER + 2.0 * JITTER * random;
    Duration::try_from_secs_f64(wait.as_secs_f64() * factor).unwrap_or(Duration::MAX)
}

/// A small pseudo-random source for the jitter (no dependency for it):
/// xorshift, seeded once per supervisor from the std hasher's random keys.
#[derive(Clone, Debug)]
pub(crate) struct Random(u64);

impl Random {
    pub(crate) fn new() -> Random {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x9e37_79b9_7f4a_7c15);
        Random(h.finish() | 1)
    }

    /// A number in `[0, 1)`.
    pub(crate) fn next(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intensity_allows_max_restarts_in_any_window() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let mut i = Intensity::new(3, 5 * s);
        assert!(i.allow(|| t0));
        assert!(i.allow(|| t0 + s));
        assert!(i.allow(|| t0 + 2 * s));
        assert!(!i.allow(|| t0 + 3 * s), "a fourth within 5 s");
        assert!(
            !i.allow(|| t0 + 5 * s),
            "exactly 5 s after the first: still in its window (OTP)"
        );
        assert!(
            i.allow(|| t0 + 5 * s + Duration::from_nanos(1)),
            "the first has left the window"
        );
        assert!(i.recent.len() <= 3, "flat memory");
    }

    #[test]
    fn an_unlimited_intensity_allows_everything_keeps_nothing_and_reads_no_clock() {
        let mut i = Intensity::unlimited();
        for _ in 0..100_000 {
            assert!(i.allow(|| unreachable!("no clock read without a limit")));
        }
        assert!(i.recent.is_empty());
        assert_eq!(i.limit(), None);
    }

    #[test]
    fn a_huge_wait_saturates_instead_of_panicking() {
        assert_eq!(jittered(Duration::MAX, 0.999), Duration::MAX);
        assert!(jittered(MAX_BACKOFF, 0.999) > MAX_BACKOFF);
    }

    #[test]
    fn backoff_doubles_up_to_max_and_starts_over_after_a_long_run() {
        let ms = Duration::from_millis;
        let mut b = Backoff::new(ms(100), ms(1000));
        let waits: Vec<u128> = (0..6).map(|_| b.next(ms(0)).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(b.next(ms(1000)), ms(100), "up for max: starts over");
        assert_eq!(b.next(ms(999)), ms(200));
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let mut r = Random::new();
        let wait = Duration::from_millis(1000);
        for _ in 0..10_000 {
            let j = jittered(wait, r.next());
            assert!(
                j >= Duration::from_millis(900) && j <= Duration::from_millis(1100),
                "{j:?}"
            );
        }
    }

    #[test]
    fn strategies_take_their_children() {
        let none = |_| false;
        assert_eq!(Strategy::OneForOne.takes(1, 4, none), [1]);
        assert_eq!(Strategy::OneForAll.takes(1, 4, none), [0, 1, 2, 3]);
        assert_eq!(Strategy::RestForOne.takes(1, 4, none), [1, 2, 3]);
        assert_eq!(Strategy::OneForAll.takes(1, 4, |i| i == 2), [0, 1, 3]);
    }
}
