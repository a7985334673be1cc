//! Handles one HTTP request: route, read the body, hand the request to JS, await the answer.

use std::cell::RefCell;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, Request, Version};
use hyper::body::Incoming;
use keel_core::envelope::{BodyLocation, EnvelopeEncoder, HttpVersion, Method, RequestHead, SpanTable};
use keel_core::frame::{align8, FrameKind, RequestId, REQUEST_HEADER_BYTES};
use keel_core::ring::{Published, PublishError};
use keel_core::router::RouteMatch;
use keel_core::typed::{RequestDecoder, RequestParts};
use tokio::time::Instant;

use crate::body;
use crate::bridge::{build_response, Bridge};
use crate::connection::ConnectionInfo;
use crate::errors::{self, Reply};
use crate::typed;

/// The body JS gets for a typed endpoint: its content travels as the payload instead.
static EMPTY: Bytes = Bytes::new();

/// Per-thread scratch space so that encoding a request allocates nothing once warm.
#[derive(Default)]
struct Scratch {
    encoder: EnvelopeEncoder,
    spans: SpanTable,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Frees the pending slot and tells JS, if the request is dropped before it was answered.
struct CancelOnDrop {
    bridge: Arc<Bridge>,
    id: RequestId,
    armed: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if self.armed {
            self.bridge.cancel(self.id);
        }
    }
}

pub async fn serve(bridge: Arc<Bridge>, conn: Arc<ConnectionInfo>, request: Request<Incoming>) -> Result<Reply, Infallible> {
    Ok(handle(&bridge, &conn, request).await)
}

async fn handle(bridge: &Arc<Bridge>, conn: &ConnectionInfo, request: Request<Incoming>) -> Reply {
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str();
    let path = parts.uri.path();
    let (endpoint, params) = match bridge.router.route(method, path) {
        RouteMatch::Found { endpoint, params } => (endpoint, params),
        RouteMatch::MethodNotAllowed { allow } => return errors::method_not_allowed(method, path, &allow),
        RouteMatch::NotFound if bridge.config.fallback => (0, Vec::new()),
        RouteMatch::NotFound => return errors::not_found(method, path),
    };

    let limit = bridge.config.max_request_body_size;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit) {
        // A client waiting for 100-continue has not sent the body: answer now. Otherwise the
        // body is on its way; read it off the socket first (see `discard`).
        if !expects_continue(&parts.headers) {
            discard(body, 0, limit).await;
        }
        return errors::body_too_large(limit);
    }
    // Most requests (every GET) have no body: skip the collector and its allocations.
    let body = if hyper::body::Body::is_end_stream(&body) {
        Bytes::new()
    } else {
        match body::read_limited(body, limit).await {
            Ok(body) => body,
            Err(body::ReadError::TooLarge(rest, read)) => {
                discard(rest, read, limit).await;
                return errors::body_too_large(limit);
            }
            Err(body::ReadError::Broken) => return errors::bad_body(),
        }
    };

    let decoder = match decode_typed(bridge, endpoint, &parts, &params, &body) {
        Ok(decoder) => decoder,
        Err(error_json) => return errors::invalid_request(error_json),
    };
    let reply = forward(bridge, conn, &parts, endpoint, &params, &body, decoder.as_ref().map(|d| d.payload())).await;
    if let Some(decoder) = decoder {
        typed::give_back(decoder.into_scratch());
    }
    reply
}

/// For a typed endpoint, validates and encodes the request here, so invalid input never reaches
/// JS: `Ok(Some(decoder))` holds the payload, `Err` the 400 body to send. Untyped: `Ok(None)`.
fn decode_typed<'b>(
    bridge: &'b Bridge,
    endpoint: u32,
    parts: &http::request::Parts,
    params: &[(&str, &str)],
    body: &Bytes,
) -> Result<Option<RequestDecoder<'b>>, String> {
    let Some((schema, ty)) = bridge.typed.as_ref().and_then(|t| t.request_type(endpoint).map(|ty| (&t.schema, ty)))
    else {
        return Ok(None);
    };
    let header = |name: &str| parts.headers.get(name).map(|v| v.as_bytes());
    let request = RequestParts { path_params: params, query: parts.uri.query(), header: &header, body };
    let mut decoder = RequestDecoder::with_scratch(schema, ty, typed::take_scratch());
    match decoder.decode(&request) {
        Ok(_) => Ok(Some(decoder)),
        Err(error) => {
            typed::give_back(decoder.into_scratch());
            Err(error.to_json())
        }
    }
}

/// Hands the request to JS through the ring and waits for its answer (or sheds it).
async fn forward(
    bridge: &Arc<Bridge>,
    conn: &ConnectionInfo,
    parts: &http::request::Parts,
    endpoint: u32,
    params: &[(&str, &str)],
    body: &Bytes,
    payload: Option<&[u8]>,
) -> Reply {
    let method = parts.method.as_str();
    let path = parts.uri.path();
    let deadline = Instant::now() + bridge.config.queue_timeout();
    let Some((id, reply)) = bridge.wait_for_space(deadline, || bridge.pending.acquire()).await else {
        return errors::overloaded(bridge.config.retry_after_seconds);
    };
    let incoming = IncomingRequest {
        id,
        endpoint,
        method,
        path,
        query: parts.uri.query(),
        authority: parts.uri.authority().map(|a| a.as_str()),
        headers: &parts.headers,
        params,
        // A typed endpoint's body has become its payload; JS does not get it twice.
        body: if payload.is_some() { &EMPTY } else { body },
        payload: payload.unwrap_or_default(),
        remote_addr: &conn.remote_addr,
        version: parts.version,
    };
    // Some(Err) ends the wait: a frame too large for the ring never fits, however long we wait.
    let published = bridge
        .wait_for_space(deadline, || match incoming.try_publish(bridge) {
            Ok(published) => Some(Ok(published)),
            Err(PublishError::TooLarge) => Some(Err(())),
            Err(PublishError::Full) => None,
        })
        .await;
    match published {
        Some(Ok(published)) => bridge.after_publish(published),
        Some(Err(())) => {
            bridge.pending.cancel(id);
            return errors::headers_too_large();
        }
        None => {
            bridge.pending.cancel(id);
            return errors::overloaded(bridge.config.retry_after_seconds);
        }
    }

    // From here JS may be working on the request: if the client leaves, tell it.
    let mut guard = CancelOnDrop { bridge: bridge.clone(), id, armed: true };
    let frame = reply.await;
    guard.armed = false;
    match frame {
        Ok(delivery) => build_response(delivery, parts.method == http::Method::HEAD),
        // The sender is only dropped without a value if the runtime is being torn down.
        Err(_) => errors::overloaded(bridge.config.retry_after_seconds),
    }
}

fn expects_continue(headers: &http::HeaderMap) -> bool {
    headers.get(header::EXPECT).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"))
}

/// Reads and drops the rest of a refused body, within bounds, before the 413 is sent.
///
/// Closing a socket with unread input makes the kernel send a reset, and a reset can destroy
/// the 413 before the client reads it; so the input is drained first. The bounds (as many bytes
/// again as the limit, one second) keep a refused upload from costing more than an accepted one.
async fn discard(body: Incoming, already_read: u64, limit: u64) {
    let budget = limit.max(1 << 20).saturating_add(already_read);
    let _ = tokio::time::timeout(Duration::from_secs(1), body::drain(body, budget)).await;
}

/// A request as it is about to be written into the ring.
struct IncomingRequest<'a> {
    id: RequestId,
    endpoint: u32,
    method: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    authority: Option<&'a str>,
    headers: &'a http::HeaderMap,
    params: &'a [(&'a str, &'a str)],
    body: &'a Bytes,
    payload: &'a [u8],
    remote_addr: &'a str,
    version: Version,
}

impl IncomingRequest<'_> {
    /// Encodes the envelope and publishes the frame in one go (no await: the scratch space is
    /// thread-local). The body goes inline when the frame stays small, else it is spilled.
    fn try_publish(&self, bridge: &Bridge) -> Result<Published, PublishError> {
        SCRATCH.with(|scratch| {
            let scratch = &mut *scratch.borrow_mut();
            scratch.spans.clear();
            for (name, value) in self.headers {
                scratch.spans.push(name.as_str().as_bytes(), value.as_bytes());
            }
            if !self.headers.contains_key(header::HOST) {
                // HTTP/2 carries the host in :authority; JS expects it as a header.
                if let Some(authority) = self.authority {
                    scratch.spans.push(b"host", authority.as_bytes());
                }
            }
            let header_count = scratch.spans.spans.len();
            for (name, value) in self.params {
                scratch.spans.push(name.as_bytes(), value.as_bytes());
            }

            let body_len = self.body.len();
            let max_frame = bridge.ring.max_frame_bytes();
            // Estimate the envelope generously before encoding: spans + strings + fixed part.
            let envelope_estimate = 256 + self.payload.len() + scratch.spans.strings.len() + 16 * scratch.spans.spans.len()
                + self.path.len() + self.query.map_or(0, str::len) + self.remote_addr.len();
            let inline = body_len > 0
                && body_len <= bridge.config.inline_body_max
                && REQUEST_HEADER_BYTES + align8(body_len) + envelope_estimate <= max_frame;
            let location = match (body_len, inline) {
                (0, _) => BodyLocation::None,
                (_, true) => BodyLocation::Inline,
                (_, false) => BodyLocation::Spilled,
            };
            let method = Method::from_name(self.method);
            let head = RequestHead {
                request_id: self.id.to_u64(),
                endpoint: self.endpoint,
                method,
                method_name: self.method,
                path: self.path,
                query: self.query,
                spans: &scratch.spans,
                header_count,
                body_len: body_len as u64,
                body_location: location,
                body_offset: if inline { REQUEST_HEADER_BYTES as u32 } else { 0 },
                remote_addr: self.remote_addr,
                payload: self.payload,
                http_version: match self.version {
                    Version::HTTP_10 => HttpVersion::Http10,
                    Version::HTTP_2 => HttpVersion::Http2,
                    _ => HttpVersion::Http11,
                },
            };
            let envelope = scratch.encoder.encode(&head);
            let inline_len = if inline { align8(body_len) } else { 0 };
            let envelope_offset = REQUEST_HEADER_BYTES + inline_len;
            let frame_len = envelope_offset + envelope.len();
            let attachment = (location == BodyLocation::Spilled).then(|| self.body.clone());
            bridge.ring.try_publish(FrameKind::Request, frame_len, attachment, |frame| {
                frame[8..12].copy_from_slice(&(envelope_offset as u32).to_le_bytes());
                frame[12..16].copy_from_slice(&(envelope.len() as u32).to_le_bytes());
                if inline {
                    frame[REQUEST_HEADER_BYTES..REQUEST_HEADER_BYTES + body_len].copy_from_slice(self.body);
                }
                frame[envelope_offset..frame_len].copy_from_slice(envelope);
            })
        })
    }
}
