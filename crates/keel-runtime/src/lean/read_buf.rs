//! A connection's read buffer: bytes read from the socket and not yet consumed.
//!
//! The backing vector is initialized over its whole length once, when it grows, so a read goes
//! straight into the free tail; the previous code resized a `Vec` over its spare capacity before
//! every read, zero-filling up to 8 KiB each time. `start..end` is the unread part; offsets
//! callers keep relative to the unread start stay valid across reads, which may move the unread
//! bytes to the front.

use std::io::{self, Read};

/// Free room a read is given at least: smaller tails are compacted or grown first.
const MIN_READ_ROOM: usize = 4096;
/// Growth step: the buffer grows by this much, or by its own size when that is larger.
const GROW_BY: usize = 8192;

#[derive(Default)]
pub struct ReadBuf {
    bytes: Vec<u8>,
    start: usize,
    end: usize,
    /// Bytes consumed and bytes read over the buffer's life: a marker of progress.
    consumed_total: u64,
    read_total: u64,
}

/// What one read did: `bytes` read into `room` bytes offered.
pub struct Filled {
    pub bytes: usize,
    pub room: usize,
}

impl ReadBuf {
    /// The unread bytes.
    pub fn unread(&self) -> &[u8] {
        &self.bytes[self.start..self.end]
    }

    /// How many bytes are unread.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Marks the first `n` unread bytes consumed.
    pub fn consume(&mut self, n: usize) {
        assert!(n <= self.len(), "consumed {n} bytes of {} unread", self.len());
        self.start += n;
        self.consumed_total += n as u64;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Marks everything read so far consumed.
    pub fn consume_all(&mut self) {
        self.consume(self.len());
    }

    /// Takes the unread bytes out, for a hand-off to another engine.
    pub fn take_unread(&mut self) -> Vec<u8> {
        let unread = self.unread().to_vec();
        self.consume_all();
        unread
    }

    /// (bytes consumed, bytes read) so far: changes whenever either happens.
    pub fn progress(&self) -> (u64, u64) {
        (self.consumed_total, self.read_total)
    }

    /// Reads once from `source` into the free tail, after making at least MIN_READ_ROOM bytes
    /// of room (moving the unread bytes to the front, or growing).
    pub fn read_from(&mut self, source: &mut impl Read) -> io::Result<Filled> {
        if self.bytes.len() - self.end < MIN_READ_ROOM {
            if self.start > 0 {
                self.bytes.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.bytes.len() - self.end < MIN_READ_ROOM {
                let grown = self.bytes.len() + GROW_BY.max(self.bytes.len());
                self.bytes.resize(grown, 0);
            }
        }
        let room = self.bytes.len() - self.end;
        let bytes = source.read(&mut self.bytes[self.end..])?;
        self.end += bytes;
        self.read_total += bytes as u64;
        Ok(Filled { bytes, room })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that hands out its bytes `step` at a time.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn keeps_unread_bytes_in_order_across_consumes_compaction_and_growth() {
        let data: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        let mut source = Trickle { data: &data, step: 3_000 };
        let mut buf = ReadBuf::default();
        let mut seen = Vec::new();
        loop {
            let filled = buf.read_from(&mut source).unwrap();
            assert!(filled.room >= MIN_READ_ROOM);
            if filled.bytes == 0 {
                break;
            }
            // Consume a bit less than arrives, so that unread bytes pile up and get moved.
            let take = buf.len() * 2 / 3;
            seen.extend_from_slice(&buf.unread()[..take]);
            buf.consume(take);
        }
        seen.extend_from_slice(buf.unread());
        buf.consume_all();
        assert_eq!(seen, data);
        assert!(buf.is_empty());
        assert_eq!(buf.progress(), (data.len() as u64, data.len() as u64));
    }

    #[test]
    fn take_unread_hands_over_what_is_left() {
        let mut buf = ReadBuf::default();
        buf.read_from(&mut Trickle { data: b"GET / HTTP/1.1\r\n", step: 100 }).unwrap();
        buf.consume(4);
        assert_eq!(buf.take_unread(), b"/ HTTP/1.1\r\n");
        assert!(buf.is_empty());
    }

    #[test]
    #[should_panic(expected = "consumed 5 bytes of 4 unread")]
    fn consuming_more_than_was_read_is_a_bug() {
        let mut buf = ReadBuf::default();
        buf.read_from(&mut Trickle { data: b"abcd", step: 100 }).unwrap();
        buf.consume(5);
    }
}
