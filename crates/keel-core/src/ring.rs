//! The request ring: many producer threads, one consumer (the JS thread).
//!
//! Memory is `slot_count` slots of [`SLOT_BYTES`]; a frame takes a run of consecutive slots and
//! never wraps (a producer that would cross the end first publishes a PAD frame). Positions count
//! slots forever; a slot's index is `p % slot_count`. Each slot has a sequence word, private to
//! Rust: `seq == p + 1` says the frame whose first slot is at position `p` is published. Any other
//! value is stale (an earlier lap's, or the initial 0) and says nothing.
//!
//! Producer protocol: read `tail`; the run `[tail, tail + n)` is free iff its last position is
//! below `head + slot_count`, where `head` is the consumer's first unreleased position, loaded
//! with Acquire. The run is claimed by a compare-and-swap of `tail`, written, then published by a
//! Release store of `p + 1` into the first slot's sequence.
//!
//! Consumer protocol: [`RequestRing::poll`] releases what the consumer finished with (it drops
//! the released frames' attachments, then advances `head` with one Release store, which hands
//! every released slot back to the producers at once) and reports how many slots from the head
//! hold complete frames. Only one thread may consume. Releasing costs one store per poll rather
//! than one per slot: the slot sequences are written by producers only, so the consumer never
//! takes their cache lines away from them.
//!
//! Parking: the consumer stores `parked`, fences, then re-checks the head; a producer publishes,
//! fences, then swaps `parked` off. With both fences SeqCst at least one side sees the other's
//! store, so a wake-up is never lost (the consumer may occasionally get one spurious wake-up).

use std::cell::UnsafeCell;
use std::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering};

use crate::frame::{slots_for, FrameKind, SLOT_BYTES};

/// Why a frame could not be published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishError {
    /// Not enough free slots right now; retry after the consumer releases some.
    Full,
    /// The frame is larger than half the ring and can never be published.
    TooLarge,
}

/// Why a consumer call was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumeError {
    /// The consumer tried to release slots that were never reported ready.
    ReleaseBeyondReady { release: u64, ready: u64 },
}

/// What a successful publish tells the producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Published {
    /// Ring position of the frame's first slot (its index is `position % slot_count`).
    pub position: u64,
    /// The consumer was parked and this producer cleared the flag: it must ring the doorbell.
    pub wake_consumer: bool,
}

#[repr(C, align(64))]
struct Slot(UnsafeCell<[u8; SLOT_BYTES]>);

/// A multi-producer, single-consumer ring of variable-size frames.
///
/// `A` is an attachment a producer may leave on a frame's first slot (Keel uses it for spilled
/// request bodies); it is dropped by the consumer when the frame's slots are released.
pub struct RequestRing<A> {
    slots: Box<[Slot]>,
    seqs: Box<[AtomicU64]>,
    attachments: Box<[UnsafeCell<Option<A>>]>,
    slot_count: u64,
    /// Next position producers will claim (written by producers on every claim).
    tail: CacheLine<AtomicU64>,
    /// Consumer-owned: first position not yet released (written once per poll, read by every
    /// claim).
    head: CacheLine<AtomicU64>,
    /// Consumer-owned: end of the run the last poll reported ready. Never read by producers, but
    /// written on every poll: on a line of its own so that the writes leave the fields above,
    /// which every claim reads, in the producers' caches.
    ready_end: CacheLine<AtomicU64>,
    parked: CacheLine<AtomicBool>,
}

/// Keeps a field on cache lines of its own, so that writes to it by one thread do not evict its
/// neighbours from another thread's cache. 128 bytes: Intel's adjacent-line prefetcher moves
/// lines in pairs.
#[repr(align(128))]
struct CacheLine<T>(T);

impl<T> std::ops::Deref for CacheLine<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

// SAFETY: slot bytes and attachments are only touched by the producer that claimed the run (from
// claim to publish) or by the single consumer (from publish to release); the sequence words with
// Acquire/Release order those hand-offs. `A: Send` because attachments move between threads.
unsafe impl<A: Send> Sync for RequestRing<A> {}
// SAFETY: the ring owns its buffers; sending it sends owned `A`s, which are `Send`.
unsafe impl<A: Send> Send for RequestRing<A> {}

impl<A> RequestRing<A> {
    /// Creates a ring of `slot_count` slots. Panics unless `slot_count` is at least 4.
    pub fn new(slot_count: usize) -> Self {
        assert!(slot_count >= 4, "a request ring needs at least 4 slots");
        Self {
            slots: (0..slot_count).map(|_| Slot(UnsafeCell::new([0; SLOT_BYTES]))).collect(),
            // 0 is never `p + 1`, so no slot starts out published.
            seqs: (0..slot_count).map(|_| AtomicU64::new(0)).collect(),
            attachments: (0..slot_count).map(|_| UnsafeCell::new(None)).collect(),
            slot_count: slot_count as u64,
            tail: CacheLine(AtomicU64::new(0)),
            head: CacheLine(AtomicU64::new(0)),
            ready_end: CacheLine(AtomicU64::new(0)),
            parked: CacheLine(AtomicBool::new(false)),
        }
    }

    pub fn slot_count(&self) -> usize {
        self.slot_count as usize
    }

    /// Base address of the slot memory, `slot_count * SLOT_BYTES` bytes, 64-byte aligned.
    pub fn base_ptr(&self) -> *mut u8 {
        self.slots.as_ptr() as *mut u8
    }

    pub fn len_bytes(&self) -> usize {
        self.slots.len() * SLOT_BYTES
    }

    /// Largest frame, in bytes, that [`try_publish`](Self::try_publish) accepts.
    pub fn max_frame_bytes(&self) -> usize {
        (self.slot_count as usize / 2) * SLOT_BYTES
    }

    /// Publishes one frame of `frame_len` bytes.
    ///
    /// The ring writes the first 8 header bytes (length, kind); `write` fills bytes
    /// `8..frame_len` of the slice it is given (the slice may be longer, up to the slot end).
    /// `attachment`, if any, is kept with the frame until the consumer releases it.
    pub fn try_publish(
        &self,
        kind: FrameKind,
        frame_len: usize,
        attachment: Option<A>,
        write: impl FnOnce(&mut [u8]),
    ) -> Result<Published, PublishError> {
        assert!(frame_len >= 8, "a frame holds at least its 8-byte header");
        let needed = slots_for(frame_len) as u64;
        if needed > self.slot_count / 2 {
            return Err(PublishError::TooLarge);
        }
        let (start, pad) = self.claim(needed)?;
        let position = start + pad;
        let index = (position % self.slot_count) as usize;
        // SAFETY: `claim` gave this thread exclusive use of slots [start, start + pad + needed),
        // which lie within the ring without wrapping; nothing else touches them until publish.
        let bytes = unsafe { self.run_bytes(index, needed as usize) };
        bytes[0..4].copy_from_slice(&(frame_len as u32).to_le_bytes());
        bytes[4..6].copy_from_slice(&(kind as u16).to_le_bytes());
        bytes[6..8].copy_from_slice(&[0, 0]);
        write(bytes);
        // SAFETY: same exclusive claim as above; the consumer reads the attachment only after
        // the Release store below.
        let cell = unsafe { &mut *self.attachments[index].get() };
        // Released frames leave their cell empty, so a frame without an attachment usually has
        // nothing to write, and leaves the cell's cache line to the consumer's cache.
        if attachment.is_some() || cell.is_some() {
            *cell = attachment;
        }
        self.seqs[index].store(position + 1, Ordering::Release);
        if pad > 0 {
            self.publish_pad(start, pad);
        }
        Ok(Published { position, wake_consumer: self.after_publish() })
    }

    /// Claims `needed` slots (plus padding up to the ring's end when they would wrap).
    /// Returns the first claimed position and the number of padding slots before the frame.
    fn claim(&self, needed: u64) -> Result<(u64, u64), PublishError> {
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            let index = tail % self.slot_count;
            let pad = if index + needed > self.slot_count { self.slot_count - index } else { 0 };
            let end = tail + pad + needed;
            // Acquire: pairs with the consumer's Release of `head`, so its reads of these slots
            // and its drops of their attachments happen before this producer writes them.
            if end > self.head.load(Ordering::Acquire) + self.slot_count {
                return Err(PublishError::Full);
            }
            match self.tail.compare_exchange_weak(tail, end, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return Ok((tail, pad)),
                // Another producer claimed first (or a spurious failure): retry from its tail.
                Err(now) => tail = now,
            }
        }
    }

    fn publish_pad(&self, start: u64, pad: u64) {
        let index = (start % self.slot_count) as usize;
        // SAFETY: the padding slots are part of this producer's exclusive claim.
        let bytes = unsafe { self.run_bytes(index, pad as usize) };
        bytes[0..4].copy_from_slice(&((pad as usize * SLOT_BYTES) as u32).to_le_bytes());
        bytes[4..6].copy_from_slice(&(FrameKind::Pad as u16).to_le_bytes());
        self.seqs[index].store(start + 1, Ordering::Release);
    }

    /// The Dekker half of the parking protocol on the producer side.
    fn after_publish(&self) -> bool {
        fence(Ordering::SeqCst);
        self.parked.load(Ordering::Relaxed) && self.parked.swap(false, Ordering::SeqCst)
    }

    /// # Safety
    /// The caller must own slots `[index, index + count)` (claimed, or published and not yet
    /// released while it is the consumer), and `index + count <= slot_count`.
    #[allow(clippy::mut_from_ref)]
    unsafe fn run_bytes(&self, index: usize, count: usize) -> &mut [u8] {
        debug_assert!(index + count <= self.slots.len());
        // SAFETY: slots are contiguous `[u8; SLOT_BYTES]` cells (repr(C), size == align), so the
        // run is one contiguous byte range inside the allocation; exclusivity is the caller's.
        unsafe {
            std::slice::from_raw_parts_mut(self.slots[index].0.get() as *mut u8, count * SLOT_BYTES)
        }
    }

    /// Consumer: releases `release` slots from the head, then returns how many slots from the
    /// new head hold complete frames.
    ///
    /// Only the consuming thread may call this, and `release` must not exceed what the previous
    /// poll reported (the consumer must release whole frames it has read).
    pub fn poll(&self, release: u64) -> Result<u64, ConsumeError> {
        let head = self.head.load(Ordering::Relaxed);
        let ready_end = self.ready_end.load(Ordering::Relaxed);
        if head + release > ready_end {
            return Err(ConsumeError::ReleaseBeyondReady { release, ready: ready_end - head });
        }
        let head = if release > 0 {
            self.drop_attachments(head, release);
            self.head.store(head + release, Ordering::Release);
            head + release
        } else {
            head
        };

        let mut end = head.max(ready_end);
        while end - head < self.slot_count {
            let index = (end % self.slot_count) as usize;
            if self.seqs[index].load(Ordering::Acquire) != end + 1 {
                break;
            }
            // SAFETY: the Acquire load saw this frame published; its header is immutable now.
            let frame_len = unsafe { self.frame_len_at(index) };
            end += slots_for(frame_len) as u64;
        }
        self.ready_end.store(end, Ordering::Relaxed);
        Ok(end - head)
    }

    /// Drops the attachments of the frames in the `release` slots from `head`, walking them frame
    /// by frame (interior slots never hold one).
    fn drop_attachments(&self, head: u64, release: u64) {
        let mut position = head;
        while position < head + release {
            let index = (position % self.slot_count) as usize;
            // SAFETY: the frame at `position` was reported ready and is not yet released, so its
            // header is immutable, and its attachment is the consumer's (this thread's) until
            // `head` moves past it.
            let (len, attachment) = unsafe { (self.frame_len_at(index), &mut *self.attachments[index].get()) };
            if attachment.is_some() {
                drop(attachment.take());
            }
            position += slots_for(len).max(1) as u64;
        }
    }

    /// # Safety
    /// The frame at `index` must be published and unreleased.
    unsafe fn frame_len_at(&self, index: usize) -> usize {
        // SAFETY: guaranteed by the caller; reading 4 bytes of a 64-byte slot.
        let header = unsafe { &*self.slots[index].0.get() };
        u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize
    }

    /// Consumer: the attachment on the frame whose first slot is `index`, if that frame is
    /// ready and unreleased.
    pub fn attachment(&self, index: usize) -> Option<&A> {
        if index >= self.slots.len() || !self.is_ready_unreleased(index) {
            return None;
        }
        // SAFETY: the frame is published and not yet released, so only the consumer (the
        // caller) accesses its attachment, and it is not dropped until the next release.
        unsafe { (*self.attachments[index].get()).as_ref() }
    }

    fn is_ready_unreleased(&self, index: usize) -> bool {
        let head = self.head.load(Ordering::Relaxed);
        let ready_end = self.ready_end.load(Ordering::Relaxed);
        let head_index = head % self.slot_count;
        // Position of `index` within the ready window [head, ready_end).
        let offset = (index as u64 + self.slot_count - head_index) % self.slot_count;
        let position = head + offset;
        position < ready_end && self.seqs[index].load(Ordering::Acquire) == position + 1
    }

    /// Consumer: marks itself parked unless work is ready. Returns true when parked (the caller
    /// should wait for the doorbell) and false when a frame is already waiting.
    pub fn try_park(&self) -> bool {
        self.parked.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let head = self.head.load(Ordering::Relaxed).max(self.ready_end.load(Ordering::Relaxed));
        let index = (head % self.slot_count) as usize;
        if self.seqs[index].load(Ordering::Acquire) == head + 1 {
            self.parked.store(false, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// Consumer: reads a ready frame's bytes (for tests and Rust-side consumers).
    pub fn frame_bytes(&self, index: usize) -> Option<&[u8]> {
        if index >= self.slots.len() || !self.is_ready_unreleased(index) {
            return None;
        }
        // SAFETY: the frame is published and unreleased; its bytes are immutable until release.
        let len = unsafe { self.frame_len_at(index) };
        // SAFETY: as above; a frame never extends past the ring end (frames do not wrap).
        Some(unsafe { &self.run_bytes(index, slots_for(len))[..len] })
    }
}

#[cfg(test)]
#[allow(unused_must_use)] // tests that do not care about the wake flag
mod tests {
    use super::*;

    fn publish(ring: &RequestRing<u32>, payload: &[u8]) -> Result<Published, PublishError> {
        ring.try_publish(FrameKind::Request, 8 + payload.len(), None, |b| {
            b[8..8 + payload.len()].copy_from_slice(payload)
        })
    }

    /// Reads every ready frame, returns (kind, payload) pairs and the slots they span.
    fn drain(ring: &RequestRing<u32>, head: &mut usize, release: u64) -> (Vec<(u16, Vec<u8>)>, u64) {
        let ready = ring.poll(release).unwrap();
        let mut out = Vec::new();
        let mut seen = 0;
        while seen < ready {
            let bytes = ring.frame_bytes(*head).expect("ready frame");
            let kind = u16::from_le_bytes([bytes[4], bytes[5]]);
            let slots = slots_for(bytes.len());
            if kind != FrameKind::Pad as u16 {
                out.push((kind, bytes[8..].to_vec()));
            }
            seen += slots as u64;
            *head = (*head + slots) % ring.slot_count();
        }
        (out, ready)
    }

    #[test]
    fn frames_come_out_in_order_with_their_bytes() {
        let ring = RequestRing::new(16);
        publish(&ring, b"one").unwrap();
        publish(&ring, &[7u8; 100]).unwrap();
        let mut head = 0;
        let (frames, ready) = drain(&ring, &mut head, 0);
        assert_eq!(ready, 1 + 2);
        assert_eq!(frames[0].1, b"one");
        assert_eq!(frames[1].1, vec![7u8; 100]);
        let (frames, ready) = drain(&ring, &mut head, ready);
        assert!(frames.is_empty());
        assert_eq!(ready, 0);
    }

    #[test]
    fn full_ring_refuses_then_accepts_after_release() {
        let ring = RequestRing::new(8);
        for _ in 0..8 {
            publish(&ring, b"x").unwrap();
        }
        assert_eq!(publish(&ring, b"y"), Err(PublishError::Full));
        let mut head = 0;
        let (_, ready) = drain(&ring, &mut head, 0);
        assert_eq!(ready, 8);
        assert_eq!(publish(&ring, b"y"), Err(PublishError::Full), "not released yet");
        let (frames, _) = drain(&ring, &mut head, ready);
        assert!(frames.is_empty());
        publish(&ring, b"y").unwrap();
    }

    #[test]
    fn a_frame_that_would_wrap_is_preceded_by_padding() {
        let ring = RequestRing::new(8);
        let mut head = 0;
        for _ in 0..5 {
            publish(&ring, b"a").unwrap();
        }
        let (_, ready) = drain(&ring, &mut head, 0);
        drain(&ring, &mut head, ready);
        // Tail is at index 5; a 4-slot frame cannot fit in slots 5..8, so slots 5..8 are padded.
        let big = vec![9u8; 3 * SLOT_BYTES];
        publish(&ring, &big).unwrap();
        let (frames, ready) = drain(&ring, &mut head, 0);
        assert_eq!(ready, 3 + 4);
        assert_eq!(frames, vec![(FrameKind::Request as u16, big)]);
        assert_eq!(head, 4);
    }

    #[test]
    fn oversized_frames_are_rejected_not_truncated() {
        let ring = RequestRing::new(8);
        assert_eq!(publish(&ring, &[0u8; 4 * SLOT_BYTES]), Err(PublishError::TooLarge));
        publish(&ring, &[0u8; 4 * SLOT_BYTES - 8]).unwrap();
    }

    #[test]
    fn releasing_more_than_reported_is_an_error() {
        let ring = RequestRing::new(8);
        publish(&ring, b"a").unwrap();
        assert!(ring.poll(2).is_err());
        assert_eq!(ring.poll(0), Ok(1));
        assert!(ring.poll(2).is_err());
        assert_eq!(ring.poll(1), Ok(0));
    }

    #[test]
    fn attachments_live_until_release() {
        let ring: RequestRing<std::sync::Arc<()>> = RequestRing::new(8);
        let token = std::sync::Arc::new(());
        ring.try_publish(FrameKind::Request, 8, Some(token.clone()), |_| {}).unwrap();
        assert_eq!(ring.attachment(0), None, "not visible before the consumer polls");
        assert_eq!(ring.poll(0), Ok(1));
        assert!(ring.attachment(0).is_some());
        assert_eq!(std::sync::Arc::strong_count(&token), 2);
        ring.poll(1).unwrap();
        assert_eq!(std::sync::Arc::strong_count(&token), 1, "released with its slot");
        assert_eq!(ring.attachment(0), None);
    }

    #[test]
    fn a_frame_without_attachment_never_shows_an_earlier_frames() {
        let ring: RequestRing<u32> = RequestRing::new(4);
        let mut head = 0;
        ring.try_publish(FrameKind::Request, 8, Some(7), |_| {}).unwrap();
        let (_, ready) = drain(&ring, &mut head, 0);
        assert_eq!(ring.attachment(0), Some(&7));
        drain(&ring, &mut head, ready);
        // Three more one-slot frames bring the tail back round to slot 0.
        for _ in 0..4 {
            publish(&ring, b"x").unwrap();
        }
        let (frames, _) = drain(&ring, &mut head, 0);
        assert_eq!(frames.len(), 4);
        for index in 0..4 {
            assert_eq!(ring.attachment(index), None, "slot {index}");
        }
    }

    #[test]
    fn released_slots_are_reused_only_after_release() {
        let ring: RequestRing<u32> = RequestRing::new(8);
        let mut head = 0;
        // A 3-slot frame and two 1-slot frames, read but not released: 3 slots stay free.
        publish(&ring, &[1u8; 2 * SLOT_BYTES]).unwrap();
        publish(&ring, b"a").unwrap();
        publish(&ring, b"b").unwrap();
        let (frames, ready) = drain(&ring, &mut head, 0);
        assert_eq!((frames.len(), ready), (3, 5));
        publish(&ring, &[2u8; 2 * SLOT_BYTES]).unwrap();
        assert_eq!(publish(&ring, b"c"), Err(PublishError::Full));
        // Releasing them frees the first five slots for the next lap, in one step.
        let (frames, _) = drain(&ring, &mut head, ready);
        assert_eq!(frames, vec![(FrameKind::Request as u16, vec![2u8; 2 * SLOT_BYTES])]);
        for _ in 0..5 {
            publish(&ring, b"d").unwrap();
        }
        assert_eq!(publish(&ring, b"e"), Err(PublishError::Full));
    }

    #[test]
    fn parking_reports_work_and_wakes_exactly_once() {
        let ring = RequestRing::<u32>::new(8);
        assert!(ring.try_park());
        let first = publish(&ring, b"a").unwrap();
        assert!(first.wake_consumer);
        let second = publish(&ring, b"b").unwrap();
        assert!(!second.wake_consumer, "the flag was already cleared");
        assert!(!ring.try_park(), "frames are waiting");
        assert!(!publish(&ring, b"c").unwrap().wake_consumer);
    }
}
