//! What both HTTP engines share between parsing a request and handing it to JS: typed
//! validation, and encoding the envelope straight into the request ring.

use std::cell::RefCell;

use bytes::Bytes;
use keel_core::envelope::{BodyLocation, EnvelopeEncoder, HttpVersion, Method, RequestHead, SpanTable};
use keel_core::frame::{align8, FrameKind, RequestId, REQUEST_HEADER_BYTES};
use keel_core::ring::{Published, PublishError};
use keel_core::typed::{RequestDecoder, RequestParts};

use crate::bridge::Bridge;
use crate::typed;

/// Per-thread scratch space so that encoding a request allocates nothing once warm.
#[derive(Default)]
struct Scratch {
    encoder: EnvelopeEncoder,
    spans: SpanTable,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// The request's headers as the engine that parsed them holds them.
pub enum HeaderSource<'a> {
    /// hyper's map (names already lower-case) and, for HTTP/2, the `:authority`.
    Map { headers: &'a http::HeaderMap, authority: Option<&'a str> },
    /// httparse's pairs, names as the client wrote them.
    Raw(&'a [httparse::Header<'a>]),
}

impl HeaderSource<'_> {
    /// The value of header `name` (lower-case), as the typed decoder looks headers up.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        match self {
            HeaderSource::Map { headers, .. } => headers.get(name).map(|v| v.as_bytes()),
            HeaderSource::Raw(pairs) => pairs.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value),
        }
    }

    /// Appends every header to `spans`, names lower-case, plus `host` from `:authority` when
    /// HTTP/2 carried it there (JS expects it as a header).
    fn push_all(&self, spans: &mut SpanTable) {
        match self {
            HeaderSource::Map { headers, authority } => {
                for (name, value) in headers.iter() {
                    spans.push(name.as_str().as_bytes(), value.as_bytes());
                }
                if let (false, Some(authority)) = (headers.contains_key(http::header::HOST), authority) {
                    spans.push(b"host", authority.as_bytes());
                }
            }
            HeaderSource::Raw(pairs) => {
                let mut lower = [0u8; 64];
                for header in pairs.iter() {
                    let name = header.name.as_bytes();
                    if name.len() <= lower.len() && name.iter().any(u8::is_ascii_uppercase) {
                        let lowered = &mut lower[..name.len()];
                        lowered.copy_from_slice(name);
                        lowered.make_ascii_lowercase();
                        spans.push(lowered, header.value);
                    } else if name.iter().any(u8::is_ascii_uppercase) {
                        spans.push(name.to_ascii_lowercase().as_slice(), header.value);
                    } else {
                        spans.push(name, header.value);
                    }
                }
            }
        }
    }
}

/// For a typed endpoint, validates and encodes the request, so invalid input never reaches JS:
/// `Ok(Some(decoder))` holds the payload, `Err` the 400 body to send. Untyped: `Ok(None)`.
/// Hand the decoder's scratch back with [`typed::give_back`] when done.
pub fn decode_typed<'b>(
    bridge: &'b Bridge,
    endpoint: u32,
    query: Option<&str>,
    headers: &HeaderSource<'_>,
    params: &[(&str, &str)],
    body: &[u8],
) -> Result<Option<RequestDecoder<'b>>, String> {
    let Some((schema, ty)) = bridge.typed.as_ref().and_then(|t| t.request_type(endpoint).map(|ty| (&t.schema, ty)))
    else {
        return Ok(None);
    };
    let header = |name: &str| headers.get(name);
    let request = RequestParts { path_params: params, query, header: &header, body };
    let mut decoder = RequestDecoder::with_scratch(schema, ty, typed::take_scratch());
    match decoder.decode(&request) {
        Ok(_) => Ok(Some(decoder)),
        Err(error) => {
            typed::give_back(decoder.into_scratch());
            Err(error.to_json())
        }
    }
}

/// A request body as the engine holds it.
#[derive(Clone, Copy)]
pub enum RequestBody<'a> {
    /// Bytes in the engine's own buffer (the lean engine's read buffer): copied only if the
    /// body has to be spilled, which most bodies never are.
    Borrowed(&'a [u8]),
    /// Bytes the engine already owns (hyper's collected body, a decoded chunked body).
    Owned(&'a Bytes),
}

impl<'a> RequestBody<'a> {
    pub const EMPTY: RequestBody<'static> = RequestBody::Borrowed(&[]);

    pub fn bytes(&self) -> &'a [u8] {
        match *self {
            RequestBody::Borrowed(bytes) => bytes,
            RequestBody::Owned(bytes) => bytes,
        }
    }

    /// The body as the attachment of a spilled frame.
    fn to_owned_bytes(self) -> Bytes {
        match self {
            RequestBody::Borrowed(bytes) => Bytes::copy_from_slice(bytes),
            RequestBody::Owned(bytes) => bytes.clone(),
        }
    }
}

/// A request as it is about to be written into the ring.
pub struct IncomingRequest<'a> {
    pub id: RequestId,
    pub endpoint: u32,
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: HeaderSource<'a>,
    pub params: &'a [(&'a str, &'a str)],
    /// Empty for a typed endpoint: its body has become the payload; JS does not get it twice.
    pub body: RequestBody<'a>,
    pub payload: &'a [u8],
    pub remote_addr: &'a str,
    pub version: HttpVersion,
}

impl IncomingRequest<'_> {
    /// Encodes the envelope and publishes the frame in one go (no await: the scratch space is
    /// thread-local). The body goes inline when the frame stays small, else it is spilled.
    pub fn try_publish(&self, bridge: &Bridge) -> Result<Published, PublishError> {
        SCRATCH.with(|scratch| {
            let scratch = &mut *scratch.borrow_mut();
            scratch.spans.clear();
            self.headers.push_all(&mut scratch.spans);
            let header_count = scratch.spans.spans.len();
            for (name, value) in self.params {
                scratch.spans.push(name.as_bytes(), value.as_bytes());
            }

            let max_frame = bridge.ring.max_frame_bytes();
            // Estimate the envelope generously before encoding: spans + strings + fixed part.
            let head_estimate = 256 + scratch.spans.strings.len() + 16 * scratch.spans.spans.len()
                + self.path.len() + self.query.map_or(0, str::len) + self.remote_addr.len();
            // A typed payload too large for a frame travels as the frame's body, spilled the way
            // a large body is. A typed request carries no body of its own (it became the
            // payload), so a spilled body on a typed request is its payload: that is how JS
            // tells them apart.
            debug_assert!(self.payload.is_empty() || self.body.bytes().is_empty(), "a typed request has no body");
            let spill_payload =
                !self.payload.is_empty() && REQUEST_HEADER_BYTES + head_estimate + align8(self.payload.len()) > max_frame;
            let (payload, body) = if spill_payload {
                (&[][..], RequestBody::Borrowed(self.payload))
            } else {
                (self.payload, self.body)
            };
            let body_len = body.bytes().len();
            let envelope_estimate = head_estimate + payload.len();
            let inline = !spill_payload
                && body_len > 0
                && body_len <= bridge.config.inline_body_max
                && REQUEST_HEADER_BYTES + align8(body_len) + envelope_estimate <= max_frame;
            let location = match (body_len, inline) {
                (0, _) => BodyLocation::None,
                (_, true) => BodyLocation::Inline,
                (_, false) => BodyLocation::Spilled,
            };
            let head = RequestHead {
                request_id: self.id.to_u64(),
                endpoint: self.endpoint,
                method: Method::from_name(self.method),
                method_name: self.method,
                path: self.path,
                query: self.query,
                spans: &scratch.spans,
                header_count,
                body_len: body_len as u64,
                body_location: location,
                body_offset: if inline { REQUEST_HEADER_BYTES as u32 } else { 0 },
                remote_addr: self.remote_addr,
                payload,
                http_version: self.version,
            };
            let envelope = scratch.encoder.encode(&head);
            let inline_len = if inline { align8(body_len) } else { 0 };
            let envelope_offset = REQUEST_HEADER_BYTES + inline_len;
            let frame_len = envelope_offset + envelope.len();
            let attachment = (location == BodyLocation::Spilled).then(|| body.to_owned_bytes());
            bridge.ring.try_publish(FrameKind::Request, frame_len, attachment, |frame| {
                frame[8..12].copy_from_slice(&(envelope_offset as u32).to_le_bytes());
                frame[12..16].copy_from_slice(&(envelope.len() as u32).to_le_bytes());
                if inline {
                    frame[REQUEST_HEADER_BYTES..REQUEST_HEADER_BYTES + body_len].copy_from_slice(body.bytes());
                }
                frame[envelope_offset..frame_len].copy_from_slice(envelope);
            })
        })
    }
}
