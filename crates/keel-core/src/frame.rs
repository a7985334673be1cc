//! Frame layout shared by the request ring and its JS reader (docs/ARCHITECTURE.md).

/// Bytes per ring slot. A frame occupies a whole number of consecutive slots.
pub const SLOT_BYTES: usize = 64;

/// Bytes of the request frame header that precede the envelope.
pub const REQUEST_HEADER_BYTES: usize = 16;

/// The `kind` field of a request-ring frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum FrameKind {
    /// An envelope (and maybe an inline body) for JS to handle.
    Request = 1,
    /// The request whose id is in the header was abandoned by its client.
    Cancel = 2,
    /// Filler up to the end of the ring; the consumer skips it.
    Pad = 3,
    /// Graceful shutdown has finished; nothing follows.
    Shutdown = 4,
    /// The socket took bytes of a streamed response: JS may send that many more.
    Credit = 5,
}

/// Number of slots a frame of `frame_len` bytes occupies.
#[inline]
pub const fn slots_for(frame_len: usize) -> usize {
    frame_len.div_ceil(SLOT_BYTES)
}

/// Rounds `n` up to the next multiple of 8.
#[inline]
pub const fn align8(n: usize) -> usize {
    (n + 7) & !7
}

/// A request id as it crosses the boundary: the pending-table slot and its generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId {
    pub index: u32,
    pub generation: u32,
}

impl RequestId {
    pub const fn to_u64(self) -> u64 {
        (self.generation as u64) << 32 | self.index as u64
    }

    pub const fn from_u64(raw: u64) -> Self {
        Self { index: raw as u32, generation: (raw >> 32) as u32 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_arithmetic() {
        assert_eq!(slots_for(1), 1);
        assert_eq!(slots_for(64), 1);
        assert_eq!(slots_for(65), 2);
        assert_eq!(align8(17), 24);
        assert_eq!(align8(24), 24);
    }

    #[test]
    fn request_id_round_trips() {
        let id = RequestId { index: 7, generation: u32::MAX };
        assert_eq!(RequestId::from_u64(id.to_u64()), id);
    }
}
