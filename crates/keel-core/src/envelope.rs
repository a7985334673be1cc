//! Encodes the `keel.wire.Request` envelope (schemas/envelope.fbs) with the FlatBuffers builder.
//!
//! The field slots below must match the field order in envelope.fbs: slot `i` lives at vtable
//! offset `4 + 2 * i`. The decoder in this module exists for tests and for Rust-side readers;
//! the production reader is the TypeScript one in bindings/core.

use flatbuffers::{FlatBufferBuilder, Follow, ForwardsUOffset, Push, Table, Vector, WIPOffset};

/// HTTP methods with a compact code; anything else travels as `Other` plus its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Method {
    Get = 0,
    Head,
    Post,
    Put,
    Delete,
    Connect,
    Options,
    Trace,
    Patch,
    Other,
}

impl Method {
    pub fn from_name(name: &str) -> Method {
        match name {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "CONNECT" => Method::Connect,
            "OPTIONS" => Method::Options,
            "TRACE" => Method::Trace,
            "PATCH" => Method::Patch,
            _ => Method::Other,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum BodyLocation {
    None = 0,
    Inline,
    Spilled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum HttpVersion {
    Http10 = 0,
    Http11,
    Http2,
}

/// `keel.wire.Span`: a name and a value inside `Request.strings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C)]
pub struct Span {
    pub name_offset: u32,
    pub name_len: u32,
    pub value_offset: u32,
    pub value_len: u32,
}

impl Push for Span {
    type Output = Span;

    unsafe fn push(&self, dst: &mut [u8], _written_len: usize) {
        dst[0..4].copy_from_slice(&self.name_offset.to_le_bytes());
        dst[4..8].copy_from_slice(&self.name_len.to_le_bytes());
        dst[8..12].copy_from_slice(&self.value_offset.to_le_bytes());
        dst[12..16].copy_from_slice(&self.value_len.to_le_bytes());
    }
}

mod slot {
    use flatbuffers::VOffsetT;
    const fn at(field: VOffsetT) -> VOffsetT {
        4 + 2 * field
    }
    pub const REQUEST_ID: VOffsetT = at(0);
    pub const ENDPOINT: VOffsetT = at(1);
    pub const METHOD: VOffsetT = at(2);
    pub const METHOD_NAME: VOffsetT = at(3);
    pub const PATH: VOffsetT = at(4);
    pub const QUERY: VOffsetT = at(5);
    pub const HEADERS: VOffsetT = at(6);
    pub const PARAMS: VOffsetT = at(7);
    pub const STRINGS: VOffsetT = at(8);
    pub const BODY_LEN: VOffsetT = at(9);
    pub const BODY_LOCATION: VOffsetT = at(10);
    pub const BODY_OFFSET: VOffsetT = at(11);
    pub const REMOTE_ADDR: VOffsetT = at(12);
    pub const HTTP_VERSION: VOffsetT = at(13);
    pub const PAYLOAD: VOffsetT = at(14);
}

/// Collects header and param spans and the bytes they point into, reusing its buffers.
#[derive(Default)]
pub struct SpanTable {
    pub spans: Vec<Span>,
    pub strings: Vec<u8>,
}

impl SpanTable {
    pub fn clear(&mut self) {
        self.spans.clear();
        self.strings.clear();
    }

    pub fn push(&mut self, name: &[u8], value: &[u8]) {
        let name_offset = self.strings.len() as u32;
        self.strings.extend_from_slice(name);
        let value_offset = self.strings.len() as u32;
        self.strings.extend_from_slice(value);
        self.spans.push(Span {
            name_offset,
            name_len: name.len() as u32,
            value_offset,
            value_len: value.len() as u32,
        });
    }
}

/// Everything the envelope carries, borrowed from the request being encoded.
pub struct RequestHead<'a> {
    pub request_id: u64,
    pub endpoint: u32,
    pub method: Method,
    pub method_name: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    /// Headers first, then params: `header_count` spans are headers, the rest params.
    pub spans: &'a SpanTable,
    pub header_count: usize,
    pub body_len: u64,
    pub body_location: BodyLocation,
    pub body_offset: u32,
    pub remote_addr: &'a str,
    pub http_version: HttpVersion,
    /// The validated FlatBuffers payload of a typed endpoint; empty otherwise.
    pub payload: &'a [u8],
}

/// Builds envelopes into one reusable builder (keep one per thread).
pub struct EnvelopeEncoder {
    builder: FlatBufferBuilder<'static>,
}

impl Default for EnvelopeEncoder {
    fn default() -> Self {
        Self { builder: FlatBufferBuilder::with_capacity(1024) }
    }
}

impl EnvelopeEncoder {
    /// Encodes `head` and returns the finished buffer, valid until the next call.
    pub fn encode(&mut self, head: &RequestHead<'_>) -> &[u8] {
        let b = &mut self.builder;
        b.reset();
        let (headers, params) = head.spans.spans.split_at(head.header_count);
        let strings = b.create_vector(&head.spans.strings);
        let headers = b.create_vector(headers);
        let params = b.create_vector(params);
        let path = b.create_string(head.path);
        let query = head.query.map(|q| b.create_string(q));
        let method_name =
            (head.method == Method::Other).then(|| b.create_string(head.method_name));
        let remote_addr = b.create_string(head.remote_addr);
        let payload = (!head.payload.is_empty()).then(|| b.create_vector(head.payload));

        let table = b.start_table();
        b.push_slot_always(slot::REQUEST_ID, head.request_id);
        b.push_slot_always(slot::BODY_LEN, head.body_len);
        b.push_slot_always(slot::ENDPOINT, head.endpoint);
        b.push_slot_always(slot::BODY_OFFSET, head.body_offset);
        b.push_slot_always(slot::PATH, path);
        if let Some(query) = query {
            b.push_slot_always(slot::QUERY, query);
        }
        if let Some(name) = method_name {
            b.push_slot_always(slot::METHOD_NAME, name);
        }
        b.push_slot_always(slot::HEADERS, headers);
        b.push_slot_always(slot::PARAMS, params);
        b.push_slot_always(slot::STRINGS, strings);
        b.push_slot_always(slot::REMOTE_ADDR, remote_addr);
        if let Some(payload) = payload {
            b.push_slot_always(slot::PAYLOAD, payload);
        }
        b.push_slot_always(slot::METHOD, head.method as u8);
        b.push_slot_always(slot::BODY_LOCATION, head.body_location as u8);
        b.push_slot_always(slot::HTTP_VERSION, head.http_version as u8);
        let root = b.end_table(table);
        b.finish_minimal(WIPOffset::<Table>::new(root.value()));
        b.finished_data()
    }
}

/// A decoded envelope, owned. For tests and diagnostics, not the hot path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedRequest {
    pub request_id: u64,
    pub endpoint: u32,
    pub method: u8,
    pub method_name: Option<String>,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub params: Vec<(Vec<u8>, Vec<u8>)>,
    pub body_len: u64,
    pub body_location: u8,
    pub body_offset: u32,
    pub remote_addr: String,
    pub http_version: u8,
    pub payload: Vec<u8>,
}

impl<'a> Follow<'a> for Span {
    type Inner = Span;

    unsafe fn follow(buf: &'a [u8], loc: usize) -> Span {
        let word = |at: usize| u32::from_le_bytes(buf[loc + at..loc + at + 4].try_into().unwrap());
        Span { name_offset: word(0), name_len: word(4), value_offset: word(8), value_len: word(12) }
    }
}

/// Decodes an envelope after checking it with the FlatBuffers verifier.
pub fn decode(buf: &[u8]) -> Result<DecodedRequest, flatbuffers::InvalidFlatbuffer> {
    let options = flatbuffers::VerifierOptions::default();
    let mut verifier = flatbuffers::Verifier::new(&options, buf);
    let root = verifier.get_uoffset(0)? as usize;
    verifier
        .visit_table(root)?
        .visit_field::<u64>("request_id", slot::REQUEST_ID, false)?
        .visit_field::<u32>("endpoint", slot::ENDPOINT, false)?
        .visit_field::<u8>("method", slot::METHOD, false)?
        .visit_field::<ForwardsUOffset<&str>>("method_name", slot::METHOD_NAME, false)?
        .visit_field::<ForwardsUOffset<&str>>("path", slot::PATH, false)?
        .visit_field::<ForwardsUOffset<&str>>("query", slot::QUERY, false)?
        .visit_field::<ForwardsUOffset<Vector<'_, u8>>>("strings", slot::STRINGS, false)?
        .visit_field::<u64>("body_len", slot::BODY_LEN, false)?
        .visit_field::<u8>("body_location", slot::BODY_LOCATION, false)?
        .visit_field::<u32>("body_offset", slot::BODY_OFFSET, false)?
        .visit_field::<ForwardsUOffset<&str>>("remote_addr", slot::REMOTE_ADDR, false)?
        .visit_field::<u8>("http_version", slot::HTTP_VERSION, false)?
        .visit_field::<ForwardsUOffset<Vector<'_, u8>>>("payload", slot::PAYLOAD, false)?
        .finish();
    // Span vectors: 16-byte structs; check their extent by hand (Span has no Verifiable impl).
    // SAFETY: the verifier accepted the table, the strings and the root offset above.
    let table = unsafe { Table::new(buf, root) };
    let spans = |slot| -> Result<Vec<Span>, flatbuffers::InvalidFlatbuffer> {
        // SAFETY: the field offset is checked against the buffer before each read.
        let Some(at) = (unsafe { table.get::<flatbuffers::UOffsetT>(slot, None) }) else {
            return Ok(Vec::new());
        };
        let field_loc = table.loc() + table.vtable().get(slot) as usize;
        let start = field_loc + at as usize;
        let count = buf
            .get(start..start + 4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap()) as usize)
            .ok_or(flatbuffers::InvalidFlatbuffer::RangeOutOfBounds {
                range: start..start + 4,
                error_trace: Default::default(),
            })?;
        if start + 4 + count * 16 > buf.len() {
            return Err(flatbuffers::InvalidFlatbuffer::RangeOutOfBounds {
                range: start..start + 4 + count * 16,
                error_trace: Default::default(),
            });
        }
        // SAFETY: bounds checked just above.
        Ok((0..count).map(|i| unsafe { Span::follow(buf, start + 4 + i * 16) }).collect())
    };
    let headers = spans(slot::HEADERS)?;
    let params = spans(slot::PARAMS)?;
    // SAFETY: every field read below was visited by the verifier with its type.
    unsafe {
        let strings: &[u8] = table
            .get::<ForwardsUOffset<Vector<'_, u8>>>(slot::STRINGS, None)
            .map(|v| v.bytes())
            .unwrap_or(&[]);
        let pairs = |spans: Vec<Span>| {
            spans
                .into_iter()
                .map(|s| {
                    let cut = |off: u32, len: u32| {
                        strings.get(off as usize..(off + len) as usize).unwrap_or(&[]).to_vec()
                    };
                    (cut(s.name_offset, s.name_len), cut(s.value_offset, s.value_len))
                })
                .collect()
        };
        let string = |slot| table.get::<ForwardsUOffset<&str>>(slot, None).map(str::to_owned);
        Ok(DecodedRequest {
            request_id: table.get::<u64>(slot::REQUEST_ID, Some(0)).unwrap(),
            endpoint: table.get::<u32>(slot::ENDPOINT, Some(0)).unwrap(),
            method: table.get::<u8>(slot::METHOD, Some(0)).unwrap(),
            method_name: string(slot::METHOD_NAME),
            path: string(slot::PATH).unwrap_or_default(),
            query: string(slot::QUERY),
            headers: pairs(headers),
            params: pairs(params),
            body_len: table.get::<u64>(slot::BODY_LEN, Some(0)).unwrap(),
            body_location: table.get::<u8>(slot::BODY_LOCATION, Some(0)).unwrap(),
            body_offset: table.get::<u32>(slot::BODY_OFFSET, Some(0)).unwrap(),
            remote_addr: string(slot::REMOTE_ADDR).unwrap_or_default(),
            http_version: table.get::<u8>(slot::HTTP_VERSION, Some(0)).unwrap(),
            payload: table
                .get::<ForwardsUOffset<Vector<'_, u8>>>(slot::PAYLOAD, None)
                .map(|v| v.bytes().to_vec())
                .unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_field() {
        let mut spans = SpanTable::default();
        spans.push(b"host", b"example.com");
        spans.push(b"x-emoji", "h\u{e9}llo \u{1f30d}".as_bytes());
        spans.push(b"id", b"42");
        let head = RequestHead {
            request_id: 0x0000_0003_0000_0011,
            endpoint: 2,
            method: Method::Other,
            method_name: "PURGE",
            path: "/blog/42",
            query: Some("a=1&b=%20"),
            spans: &spans,
            header_count: 2,
            body_len: 5,
            body_location: BodyLocation::Inline,
            body_offset: 256,
            remote_addr: "127.0.0.1:5000",
            http_version: HttpVersion::Http11,
            payload: b"nested",
        };
        let mut encoder = EnvelopeEncoder::default();
        let decoded = decode(encoder.encode(&head)).unwrap();
        assert_eq!(decoded.request_id, head.request_id);
        assert_eq!(decoded.endpoint, 2);
        assert_eq!(decoded.method, Method::Other as u8);
        assert_eq!(decoded.method_name.as_deref(), Some("PURGE"));
        assert_eq!(decoded.path, "/blog/42");
        assert_eq!(decoded.query.as_deref(), Some("a=1&b=%20"));
        assert_eq!(decoded.headers.len(), 2);
        assert_eq!(decoded.headers[1].1, "h\u{e9}llo \u{1f30d}".as_bytes());
        assert_eq!(decoded.params, vec![(b"id".to_vec(), b"42".to_vec())]);
        assert_eq!(decoded.body_len, 5);
        assert_eq!(decoded.body_location, BodyLocation::Inline as u8);
        assert_eq!(decoded.body_offset, 256);
        assert_eq!(decoded.remote_addr, "127.0.0.1:5000");
        assert_eq!(decoded.http_version, HttpVersion::Http11 as u8);
        assert_eq!(decoded.payload, b"nested");
    }

    #[test]
    fn query_and_method_name_are_absent_when_not_set() {
        let spans = SpanTable::default();
        let head = RequestHead {
            request_id: 1,
            endpoint: 0,
            method: Method::Get,
            method_name: "GET",
            path: "/",
            query: None,
            spans: &spans,
            header_count: 0,
            body_len: 0,
            body_location: BodyLocation::None,
            body_offset: 0,
            remote_addr: "",
            http_version: HttpVersion::Http10,
            payload: &[],
        };
        let decoded = decode(EnvelopeEncoder::default().encode(&head)).unwrap();
        assert_eq!(decoded.query, None);
        assert_eq!(decoded.method_name, None);
        assert!(decoded.headers.is_empty());
    }

    #[test]
    fn garbage_is_rejected_without_panicking() {
        for len in 0..64 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let _ = decode(&bytes);
        }
    }
}
