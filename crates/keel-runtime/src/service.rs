//! Handles one HTTP request: route, read the body, hand the request to JS, await the answer.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, Request, Version};
use hyper::body::Incoming;
use keel_core::envelope::HttpVersion;
use keel_core::frame::RequestId;
use keel_core::ring::PublishError;
use keel_core::router::RouteMatch;
use tokio::time::Instant;

use crate::body;
use crate::bridge::{build_response, Bridge};
use crate::connection::ConnectionInfo;
use crate::errors::{self, Reply};
use crate::publish::{self, HeaderSource, IncomingRequest, RequestBody};
use crate::typed;

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
    // hyper frames a body by its last coding alone; the lean engine's rule holds here too.
    let mut codings = parts.headers.get_all(header::TRANSFER_ENCODING).iter();
    if let Some(first) = codings.next() {
        if !crate::lean::is_only_chunked(first.as_bytes()) || codings.next().is_some() {
            return errors::bad_request(crate::lean::UNSUPPORTED_TRANSFER_ENCODING);
        }
    }
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
        let idle = bridge.config.idle_timeout();
        match body::read_limited(body, limit, idle).await {
            Ok(body) => body,
            Err(body::ReadError::TooLarge(rest, read)) => {
                discard(rest, read, limit).await;
                return errors::body_too_large(limit);
            }
            Err(body::ReadError::Broken) => return errors::bad_body(),
            Err(body::ReadError::Stalled) => return errors::body_stalled(bridge.config.idle_timeout_ms),
        }
    };

    let headers = HeaderSource::Map { headers: &parts.headers, authority: parts.uri.authority().map(|a| a.as_str()) };
    let decoder = match publish::decode_typed(bridge, endpoint, parts.uri.query(), &headers, &params, &body) {
        Ok(decoder) => decoder,
        Err(error_json) => return errors::invalid_request(error_json),
    };
    let reply = forward(bridge, conn, &parts, endpoint, &params, &body, decoder.as_ref().map(|d| d.payload())).await;
    if let Some(decoder) = decoder {
        typed::give_back(decoder.into_scratch());
    }
    reply
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
        headers: HeaderSource::Map { headers: &parts.headers, authority: parts.uri.authority().map(|a| a.as_str()) },
        params,
        // A typed endpoint's body has become its payload; JS does not get it twice.
        body: if payload.is_some() { RequestBody::EMPTY } else { RequestBody::Owned(body) },
        payload: payload.unwrap_or_default(),
        remote_addr: &conn.remote_addr,
        version: match parts.version {
            Version::HTTP_10 => HttpVersion::Http10,
            Version::HTTP_2 => HttpVersion::Http2,
            _ => HttpVersion::Http11,
        },
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
