//! Parses the response frames JS writes into the response buffer (docs/ARCHITECTURE.md).
//!
//! The parser borrows from the buffer and validates every length against it before use, so a
//! malformed frame is an error, never an out-of-bounds read or a panic.

use crate::frame::{align8, RequestId};

/// Bytes of the fixed response frame header.
pub const RESPONSE_HEADER_BYTES: usize = 24;

/// `flags` of a response frame (docs/ARCHITECTURE.md, "Streamed responses"). 0: a whole response.
pub const FLAG_STREAM: u32 = 1;
pub const FLAG_CHUNK: u32 = 2;
pub const FLAG_END: u32 = 4;
/// With `FLAG_CHUNK`: the producer failed; the client must see the response fail, not end.
pub const FLAG_ABORT: u32 = 8;

/// What a frame is, by its flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameRole {
    Whole,
    /// Head of a streamed response, with its first body bytes.
    StreamHead,
    /// More body of a stream; `last` ends it.
    Chunk { last: bool },
    /// The stream failed after its head went out.
    Abort,
}

impl FrameRole {
    pub fn from_flags(flags: u32) -> Option<FrameRole> {
        match flags {
            0 => Some(FrameRole::Whole),
            FLAG_STREAM => Some(FrameRole::StreamHead),
            FLAG_CHUNK => Some(FrameRole::Chunk { last: false }),
            f if f == FLAG_CHUNK | FLAG_END => Some(FrameRole::Chunk { last: true }),
            f if f == FLAG_CHUNK | FLAG_ABORT => Some(FrameRole::Abort),
            _ => None,
        }
    }
}

/// One response, borrowed from the buffer it was written in.
#[derive(Debug, Clone, Copy)]
pub struct ResponseFrame<'a> {
    pub id: RequestId,
    pub role: FrameRole,
    pub status: u16,
    header_count: u16,
    header_bytes: &'a [u8],
    pub body: &'a [u8],
}

/// What was wrong with a frame, with its byte offset in the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    pub offset: usize,
    pub reason: &'static str,
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed response frame at byte {}: {}", self.offset, self.reason)
    }
}

impl std::error::Error for FrameError {}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl<'a> ResponseFrame<'a> {
    /// Parses the frame at the start of `buf`; returns it and the frame's length in bytes.
    pub fn parse(buf: &'a [u8]) -> Result<(ResponseFrame<'a>, usize), &'static str> {
        if buf.len() < RESPONSE_HEADER_BYTES {
            return Err("shorter than the 24-byte header");
        }
        let frame_len = u32_at(buf, 0) as usize;
        if frame_len < RESPONSE_HEADER_BYTES || frame_len > buf.len() {
            return Err("frame_len is outside the buffer");
        }
        let role = FrameRole::from_flags(u32_at(buf, 20)).ok_or("unknown flags")?;
        let status = u16_at(buf, 4);
        let header_count = u16_at(buf, 6);
        match role {
            FrameRole::Whole | FrameRole::StreamHead if !(100..=999).contains(&status) => {
                return Err("status is not a 3-digit HTTP status");
            }
            FrameRole::Chunk { .. } | FrameRole::Abort if header_count != 0 => {
                return Err("a chunk frame carries headers")
            }
            _ => {}
        }
        let id = RequestId { index: u32_at(buf, 8), generation: u32_at(buf, 12) };
        let body_len = u32_at(buf, 16) as usize;
        let frame = &buf[..frame_len];
        let body_start = frame_len.checked_sub(body_len).ok_or("body_len exceeds frame_len")?;
        if body_start < RESPONSE_HEADER_BYTES {
            return Err("body_len exceeds frame_len");
        }
        let header_bytes = &frame[RESPONSE_HEADER_BYTES..body_start];
        let parsed = ResponseFrame { id, role, status, header_count, header_bytes, body: &frame[body_start..] };
        // Walk the headers once so that iterating them later cannot fail.
        let mut walked = 0;
        let mut rest = header_bytes;
        while walked < header_count {
            let (_, _, tail) = split_header(rest).ok_or("a header runs past the header area")?;
            rest = tail;
            walked += 1;
        }
        if !rest.is_empty() {
            return Err("bytes left between the headers and the body");
        }
        Ok((parsed, frame_len))
    }

    /// Header (name, value) pairs in the order JS wrote them.
    pub fn headers(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> {
        let mut rest = self.header_bytes;
        (0..self.header_count).map_while(move |_| {
            let (name, value, tail) = split_header(rest)?;
            rest = tail;
            Some((name, value))
        })
    }
}

fn split_header(b: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    if b.len() < 4 {
        return None;
    }
    let name_len = u16_at(b, 0) as usize;
    let value_len = u16_at(b, 2) as usize;
    let end = 4 + name_len + value_len;
    if end > b.len() {
        return None;
    }
    Some((&b[4..4 + name_len], &b[4 + name_len..end], &b[end..]))
}

/// What routing a frame needs, read without parsing its headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peeked {
    pub id: RequestId,
    pub role: FrameRole,
    pub len: usize,
    /// Where the body starts, from the frame's start (checked to lie within it).
    pub body_start: usize,
}

/// Reads a frame's id, role, length and body position, checking them against `buf`. The full
/// parse (headers, status) is left to [`ResponseFrame::parse`], which the connection's own thread
/// runs.
pub fn peek(buf: &[u8]) -> Result<Peeked, &'static str> {
    if buf.len() < RESPONSE_HEADER_BYTES {
        return Err("shorter than the 24-byte header");
    }
    let len = u32_at(buf, 0) as usize;
    if len < RESPONSE_HEADER_BYTES || len > buf.len() {
        return Err("frame_len is outside the buffer");
    }
    let body_start = len
        .checked_sub(u32_at(buf, 16) as usize)
        .filter(|&start| start >= RESPONSE_HEADER_BYTES)
        .ok_or("body_len exceeds frame_len")?;
    let role = FrameRole::from_flags(u32_at(buf, 20)).ok_or("unknown flags")?;
    Ok(Peeked { id: RequestId { index: u32_at(buf, 8), generation: u32_at(buf, 12) }, role, len, body_start })
}

/// Iterates the frames in `buf[..used]`, stopping at the first malformed one.
pub fn frames(buf: &[u8]) -> impl Iterator<Item = Result<ResponseFrame<'_>, FrameError>> {
    let mut offset = 0;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || offset >= buf.len() {
            return None;
        }
        match ResponseFrame::parse(&buf[offset..]) {
            Ok((frame, len)) => {
                offset += align8(len);
                Some(Ok(frame))
            }
            Err(reason) => {
                failed = true;
                Some(Err(FrameError { offset, reason }))
            }
        }
    })
}

/// Appends one response frame to `out` (8-byte aligned), as JS does. Used by tests and by
/// Rust-side producers of responses.
pub fn write_frame(out: &mut Vec<u8>, id: RequestId, status: u16, headers: &[(&[u8], &[u8])], body: &[u8]) {
    write_frame_with_flags(out, id, status, headers, body, 0);
}

/// [`write_frame`] with explicit `flags` (stream head, chunk, end).
pub fn write_frame_with_flags(
    out: &mut Vec<u8>,
    id: RequestId,
    status: u16,
    headers: &[(&[u8], &[u8])],
    body: &[u8],
    flags: u32,
) {
    let start = out.len();
    out.extend_from_slice(&[0; RESPONSE_HEADER_BYTES]);
    for (name, value) in headers {
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&(value.len() as u16).to_le_bytes());
        out.extend_from_slice(name);
        out.extend_from_slice(value);
    }
    out.extend_from_slice(body);
    let frame_len = (out.len() - start) as u32;
    let header = &mut out[start..start + RESPONSE_HEADER_BYTES];
    header[0..4].copy_from_slice(&frame_len.to_le_bytes());
    header[4..6].copy_from_slice(&status.to_le_bytes());
    header[6..8].copy_from_slice(&(headers.len() as u16).to_le_bytes());
    header[8..12].copy_from_slice(&id.index.to_le_bytes());
    header[12..16].copy_from_slice(&id.generation.to_le_bytes());
    header[16..20].copy_from_slice(&(body.len() as u32).to_le_bytes());
    header[20..24].copy_from_slice(&flags.to_le_bytes());
    out.resize(start + align8(frame_len as usize), 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: RequestId = RequestId { index: 3, generation: 9 };

    #[test]
    fn parses_frames_back_to_back() {
        let mut buf = Vec::new();
        write_frame(&mut buf, ID, 200, &[(b"content-type", b"text/plain")], b"hello");
        write_frame(&mut buf, RequestId { index: 4, generation: 1 }, 404, &[], b"");
        let parsed: Vec<_> = frames(&buf).collect::<Result<_, _>>().unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].id, ID);
        assert_eq!(parsed[0].status, 200);
        assert_eq!(parsed[0].headers().collect::<Vec<_>>(), vec![(&b"content-type"[..], &b"text/plain"[..])]);
        assert_eq!(parsed[0].body, b"hello");
        assert_eq!(parsed[1].status, 404);
        assert!(parsed[1].body.is_empty());
    }

    #[test]
    fn malformed_frames_are_errors() {
        let mut buf = Vec::new();
        write_frame(&mut buf, ID, 200, &[(b"a", b"b")], b"x");
        let mut bad_len = buf.clone();
        bad_len[0..4].copy_from_slice(&1000u32.to_le_bytes());
        assert!(frames(&bad_len).next().unwrap().is_err());
        let mut bad_status = buf.clone();
        bad_status[4..6].copy_from_slice(&7u16.to_le_bytes());
        assert!(frames(&bad_status).next().unwrap().is_err());
        let mut bad_headers = buf.clone();
        bad_headers[6..8].copy_from_slice(&5u16.to_le_bytes());
        assert!(frames(&bad_headers).next().unwrap().is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            for frame in frames(&bytes).flatten() {
                let _ = frame.headers().count();
            }
            let _ = peek(&bytes);
        }
    }
}
