//! When a lean worker rings the doorbell of a parked JS consumer.
//!
//! The publish that finds JS parked takes on waking it (`Published::wake_consumer`), but the
//! worker does not ring at once: waking JS at the first publish made it drain a request or two
//! and park again, a context switch per couple of requests.
//!
//! It rings when it is about to block in its poller (after one look without waiting found
//! nothing ready). The doorbell is a synchronous wake-up, which the kernel serves on the waker's
//! core, where a woken thread preempts the one running: rung mid-turn, JS cut into the worker's
//! turn, drained what was published so far and parked again, and the worker finished its turn
//! afterwards. Rung as the worker blocks, JS gets the core and the whole turn's requests at once.
//! On 2 cores, against ringing at the end of every poller turn (2026-12-06, 6 interleaved pairs,
//! POST /schema): JS CPU per request 2.64 → 2.07 µs, req/s +6%; a Hono app's unchanged.
//!
//! Two bounds keep JS from waiting on a worker that never blocks: the ring goes out after
//! `RING_AFTER` publishes, and at the end of any turn once it has been owed for `MAX_DELAY`
//! (a worker busy with requests it answers itself, say, publishes nothing for a long time).

use std::cell::Cell;
use std::time::{Duration, Instant};

const RING_AFTER: usize = 64;
const MAX_DELAY: Duration = Duration::from_micros(250);

/// A worker's owed ring, if any. One per worker thread (hence `Cell`).
#[derive(Default)]
pub struct DeferredRing {
    /// When the ring became owed; None when nothing is owed.
    owed_since: Cell<Option<Instant>>,
    publishes_since: Cell<usize>,
}

impl DeferredRing {
    /// Records a publish of this worker at `now` (`wake_consumer`: it found JS parked); calls
    /// `ring` when the bound is reached.
    pub fn after_publish(&self, wake_consumer: bool, now: Instant, ring: impl FnOnce()) {
        if wake_consumer {
            self.owed_since.set(Some(now));
            self.publishes_since.set(0);
        }
        if !self.owed() {
            return;
        }
        let count = self.publishes_since.get() + 1;
        self.publishes_since.set(count);
        if count >= RING_AFTER {
            self.pay(ring);
        }
    }

    /// Whether a ring is owed: the worker must not block without calling `before_sleep`.
    pub fn owed(&self) -> bool {
        self.owed_since.get().is_some()
    }

    /// The end of a poller turn at `now`: rings if the ring has been owed for `MAX_DELAY`.
    pub fn end_of_turn(&self, now: Instant, ring: impl FnOnce()) {
        if self.owed_since.get().is_some_and(|since| now.saturating_duration_since(since) >= MAX_DELAY) {
            self.pay(ring);
        }
    }

    /// The worker is about to block (or to exit): rings if a ring is owed.
    pub fn before_sleep(&self, ring: impl FnOnce()) {
        if self.owed() {
            self.pay(ring);
        }
    }

    fn pay(&self, ring: impl FnOnce()) {
        self.owed_since.set(None);
        ring();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_rung_unless_a_publish_found_js_parked() {
        let deferred = DeferredRing::default();
        let rings = Cell::new(0);
        let ring = || rings.set(rings.get() + 1);
        let now = Instant::now();
        for _ in 0..RING_AFTER * 2 {
            deferred.after_publish(false, now, ring);
        }
        deferred.end_of_turn(now + MAX_DELAY * 2, ring);
        deferred.before_sleep(ring);
        assert!(!deferred.owed());
        assert_eq!(rings.get(), 0);
    }

    #[test]
    fn a_short_turn_rings_once_when_the_worker_is_about_to_block() {
        let deferred = DeferredRing::default();
        let rings = Cell::new(0);
        let ring = || rings.set(rings.get() + 1);
        let now = Instant::now();
        deferred.after_publish(true, now, ring);
        for _ in 0..3 {
            deferred.after_publish(false, now, ring);
        }
        deferred.end_of_turn(now, ring);
        assert_eq!(rings.get(), 0, "not at the end of the turn");
        assert!(deferred.owed());
        deferred.before_sleep(ring);
        deferred.before_sleep(ring);
        assert_eq!(rings.get(), 1, "once, and the debt is paid");
        assert!(!deferred.owed());
    }

    #[test]
    fn a_long_turn_rings_after_the_bound() {
        let deferred = DeferredRing::default();
        let rings = Cell::new(0);
        let ring = || rings.set(rings.get() + 1);
        let now = Instant::now();
        deferred.after_publish(true, now, ring);
        for _ in 1..RING_AFTER - 1 {
            deferred.after_publish(false, now, ring);
        }
        assert_eq!(rings.get(), 0);
        deferred.after_publish(false, now, ring);
        assert_eq!(rings.get(), 1, "the bound'th publish rings");
        deferred.before_sleep(ring);
        assert_eq!(rings.get(), 1, "nothing more is owed");
    }

    #[test]
    fn a_worker_that_never_blocks_rings_once_the_delay_is_over() {
        let deferred = DeferredRing::default();
        let rings = Cell::new(0);
        let ring = || rings.set(rings.get() + 1);
        let start = Instant::now();
        deferred.after_publish(true, start, ring);
        deferred.end_of_turn(start + MAX_DELAY / 2, ring);
        assert_eq!(rings.get(), 0, "still within the delay");
        deferred.end_of_turn(start + MAX_DELAY, ring);
        assert_eq!(rings.get(), 1);
        assert!(!deferred.owed());
    }

    #[test]
    fn a_new_debt_starts_a_new_delay() {
        let deferred = DeferredRing::default();
        let rings = Cell::new(0);
        let ring = || rings.set(rings.get() + 1);
        let start = Instant::now();
        deferred.after_publish(true, start, ring);
        deferred.before_sleep(ring);
        let later = start + MAX_DELAY * 3;
        deferred.after_publish(true, later, ring);
        deferred.end_of_turn(later + MAX_DELAY / 2, ring);
        assert_eq!(rings.get(), 1, "the second debt is younger than the delay");
    }
}
