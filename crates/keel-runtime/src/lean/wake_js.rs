//! When a lean worker rings the doorbell of a parked JS consumer.
//!
//! The publish that finds JS parked takes on waking it (`Published::wake_consumer`), but the
//! worker does not ring at once: waking JS at the first publish made it drain a request or two
//! and park again, a context switch per couple of requests. Nor does it wait for the end of a
//! long poller turn, which made JS and the worker take turns, each idle while the other ran.
//! It rings after `RING_AFTER` publishes or at the end of the turn, whichever comes first, so
//! JS starts on one batch while the worker reads the next (on 2 cores, 32 and 64 both kept
//! GET /hello at its best and lifted a Hono app's POST /schema from 47k to 61-67k req/s).

use std::cell::Cell;

const RING_AFTER: usize = 64;

/// A worker's owed ring, if any. One per worker thread (hence `Cell`).
#[derive(Default)]
pub struct DeferredRing {
    owed: Cell<bool>,
    publishes_since: Cell<usize>,
}

impl DeferredRing {
    /// Records a publish of this worker (`wake_consumer`: it found JS parked); calls `ring`
    /// when the bound is reached.
    pub fn after_publish(&self, wake_consumer: bool, ring: impl FnOnce()) {
        if wake_consumer {
            self.owed.set(true);
            self.publishes_since.set(0);
        }
        if !self.owed.get() {
            return;
        }
        let count = self.publishes_since.get() + 1;
        self.publishes_since.set(count);
        if count >= RING_AFTER {
            self.owed.set(false);
            ring();
        }
    }

    /// The end of a poller turn: calls `ring` if a ring is still owed. Must run before the
    /// worker sleeps.
    pub fn end_of_turn(&self, ring: impl FnOnce()) {
        if self.owed.replace(false) {
            ring();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_rung_unless_a_publish_found_js_parked() {
        let deferred = DeferredRing::default();
        let rings = Cell::new(0);
        for _ in 0..RING_AFTER * 2 {
            deferred.after_publish(false, || rings.set(rings.get() + 1));
        }
        deferred.end_of_turn(|| rings.set(rings.get() + 1));
        assert_eq!(rings.get(), 0);
    }

    #[test]
    fn rings_once_at_the_end_of_a_short_turn() {
        let deferred = DeferredRing::default();
        let rings = Cell::new(0);
        deferred.after_publish(true, || rings.set(rings.get() + 1));
        for _ in 0..3 {
            deferred.after_publish(false, || rings.set(rings.get() + 1));
        }
        assert_eq!(rings.get(), 0, "not before the turn ends");
        deferred.end_of_turn(|| rings.set(rings.get() + 1));
        deferred.end_of_turn(|| rings.set(rings.get() + 1));
        assert_eq!(rings.get(), 1, "once, and the debt is paid");
    }

    #[test]
    fn rings_within_a_long_turn_after_the_bound() {
        let deferred = DeferredRing::default();
        let rings = Cell::new(0);
        deferred.after_publish(true, || rings.set(rings.get() + 1));
        for _ in 1..RING_AFTER - 1 {
            deferred.after_publish(false, || rings.set(rings.get() + 1));
        }
        assert_eq!(rings.get(), 0);
        deferred.after_publish(false, || rings.set(rings.get() + 1));
        assert_eq!(rings.get(), 1, "the bound'th publish rings");
        deferred.end_of_turn(|| rings.set(rings.get() + 1));
        assert_eq!(rings.get(), 1, "nothing more is owed");
    }
}
