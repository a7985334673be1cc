//! Requests handed to JS and not yet answered, indexed by [`RequestId`].
//!
//! Invariant: a slot's generation changes every time the slot is freed (answered or
//! canceled), so an id names at most one request ever, and a late or duplicate response —
//! whose generation no longer matches — is recognised and dropped.

use std::sync::Mutex;

use keel_core::frame::RequestId;
use tokio::sync::oneshot;

use crate::lean::LoopAddress;

/// Who is waiting for a request's answer.
pub enum Waiter<T> {
    /// A hyper connection task, awaiting the value.
    Task(oneshot::Sender<T>),
    /// A connection of the lean engine: the answer goes to its worker's inbox.
    Loop(LoopAddress),
}

struct Slot<T> {
    generation: u32,
    waiter: Option<Waiter<T>>,
}

pub struct PendingTable<T> {
    slots: Box<[Mutex<Slot<T>>]>,
    free: Mutex<Vec<u32>>,
}

fn lock<G>(m: &Mutex<G>) -> std::sync::MutexGuard<'_, G> {
    // A panic while holding these locks cannot leave the data inconsistent (every critical
    // section is a single field update), so poisoning is ignored.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<T> PendingTable<T> {
    pub fn new(capacity: usize) -> Self {
        Self {
            slots: (0..capacity).map(|_| Mutex::new(Slot { generation: 0, waiter: None })).collect(),
            free: Mutex::new((0..capacity as u32).rev().collect()),
        }
    }

    /// Takes a free slot; `None` when `capacity` requests are already in flight.
    pub fn acquire(&self) -> Option<(RequestId, oneshot::Receiver<T>)> {
        let (tx, rx) = oneshot::channel();
        self.acquire_for(Waiter::Task(tx)).map(|id| (id, rx))
    }

    /// Takes a free slot for `waiter`; `None` when `capacity` requests are already in flight.
    pub fn acquire_for(&self, waiter: Waiter<T>) -> Option<RequestId> {
        let index = lock(&self.free).pop()?;
        let mut slot = lock(&self.slots[index as usize]);
        slot.waiter = Some(waiter);
        Some(RequestId { index, generation: slot.generation })
    }

    /// Frees the slot of `id` if it is still the live request there; returns its waiter.
    pub fn take(&self, id: RequestId) -> Option<Waiter<T>> {
        let waiter = self.unlink(id)?;
        lock(&self.free).push(id.index);
        Some(waiter)
    }

    /// For taking many requests at once (a commit's answers): the batch returns their slots to
    /// the free list with one lock when it is dropped, rather than one lock per request on a
    /// list the I/O threads lock for every request they publish.
    pub fn batch(&self) -> TakeBatch<'_, T> {
        TakeBatch { table: self, freed: Vec::new() }
    }

    /// Ends the slot's current request (its generation moves on) and returns its waiter; the
    /// slot is not yet on the free list. None when `id` is not the slot's live request.
    fn unlink(&self, id: RequestId) -> Option<Waiter<T>> {
        let mut slot = lock(self.slots.get(id.index as usize)?);
        if slot.generation != id.generation || slot.waiter.is_none() {
            return None;
        }
        slot.generation = slot.generation.wrapping_add(1);
        slot.waiter.take()
    }

    /// Delivers `value` to the request `id`. False when the id is stale (already answered,
    /// canceled, or never issued); the value is then dropped.
    /// Only for requests acquired with [`acquire`](Self::acquire).
    #[cfg(test)]
    pub fn complete(&self, id: RequestId, value: T) -> bool {
        match self.take(id) {
            Some(Waiter::Task(waiter)) => waiter.send(value).is_ok(),
            _ => false,
        }
    }

    /// Abandons `id`. True when it was live (so JS may still be working on it).
    pub fn cancel(&self, id: RequestId) -> bool {
        self.take(id).is_some()
    }
}

/// Takes from a [`PendingTable`]; see [`PendingTable::batch`].
pub struct TakeBatch<'t, T> {
    table: &'t PendingTable<T>,
    freed: Vec<u32>,
}

impl<T> TakeBatch<'_, T> {
    /// As [`PendingTable::take`], the slot freed when the batch is dropped.
    pub fn take(&mut self, id: RequestId) -> Option<Waiter<T>> {
        let waiter = self.table.unlink(id)?;
        self.freed.push(id.index);
        Some(waiter)
    }
}

impl<T> Drop for TakeBatch<'_, T> {
    fn drop(&mut self) {
        if !self.freed.is_empty() {
            lock(&self.table.free).extend_from_slice(&self.freed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_frees_its_slots_when_it_ends_and_skips_stale_ids() {
        let table: PendingTable<u32> = PendingTable::new(2);
        let (first, _rx1) = table.acquire().unwrap();
        let (second, _rx2) = table.acquire().unwrap();
        let mut batch = table.batch();
        assert!(batch.take(first).is_some());
        assert!(batch.take(first).is_none(), "an id is taken once");
        assert!(batch.take(second).is_some());
        assert!(table.acquire().is_none(), "the slots return when the batch ends, not before");
        drop(batch);
        let (again, _rx3) = table.acquire().unwrap();
        assert!(again.index == first.index || again.index == second.index);
        assert!(table.take(first).is_none() && table.take(second).is_none(), "old ids are stale");
    }

    #[test]
    fn completes_once_and_rejects_stale_ids() {
        let table = PendingTable::new(2);
        let (id, mut rx) = table.acquire().unwrap();
        assert!(table.complete(id, 7));
        assert_eq!(rx.try_recv(), Ok(7));
        assert!(!table.complete(id, 8), "second answer is stale");
        let (reused, _rx) = table.acquire().unwrap();
        let (other, _rx2) = table.acquire().unwrap();
        assert!(reused.index == id.index || other.index == id.index);
        let same_slot = if reused.index == id.index { reused } else { other };
        assert_ne!(same_slot.generation, id.generation, "generation moved on");
        assert!(!table.complete(id, 9), "old id does not reach the new request");
    }

    #[test]
    fn capacity_is_a_hard_bound() {
        let table = PendingTable::<()>::new(1);
        let (id, _rx) = table.acquire().unwrap();
        assert!(table.acquire().is_none());
        assert!(table.cancel(id));
        assert!(!table.cancel(id));
        assert!(table.acquire().is_some());
    }
}
