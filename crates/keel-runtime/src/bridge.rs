//! The bridge: state shared by the I/O threads and the JS consumer thread.
//!
//! Producers (connection tasks) publish frames into the request ring and wait on the pending
//! table; the consumer (JS, through the FFI) polls the ring and commits responses.

use std::cell::UnsafeCell;
use std::sync::atomic::{fence, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::{header, HeaderName, HeaderValue, Response, StatusCode};
use http_body_util::Full;
use keel_core::frame::{FrameKind, RequestId};
use keel_core::frame::align8;
use keel_core::response::{peek, FrameError, ResponseFrame};
use keel_core::ring::{ConsumeError, Published, PublishError, RequestRing};
use keel_core::router::Router;
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

use crate::config::Config;
use crate::doorbell::Doorbell;
use crate::errors::{invalid_handler_response, Reply};
use crate::pending::PendingTable;
use crate::typed::TypedEndpoints;

/// Memory JS writes response frames into; read by Rust only inside `commit`, on the JS thread.
pub struct ResponseBuffer {
    bytes: Box<[UnsafeCell<u8>]>,
}

// SAFETY: the buffer is written by the consumer thread (JS) and read by the same thread inside
// `Bridge::commit`; no other thread touches its contents.
unsafe impl Sync for ResponseBuffer {}

impl ResponseBuffer {
    fn new(len: usize) -> Self {
        Self { bytes: (0..len).map(|_| UnsafeCell::new(0)).collect() }
    }

    pub fn as_ptr(&self) -> *mut u8 {
        self.bytes.as_ptr() as *mut u8
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }
}

pub struct Bridge {
    pub config: Config,
    pub ring: RequestRing<Bytes>,
    /// Each waiter receives its response frame, a slice of the committed batch.
    pub pending: PendingTable<Bytes>,
    pub router: Router,
    /// Present when the app has a manifest.
    pub typed: Option<TypedEndpoints>,
    pub doorbell: Doorbell,
    pub responses: ResponseBuffer,
    /// Open connections hold one permit each; the accept loop waits when none is left.
    pub connections: Arc<Semaphore>,
    /// Signalled when ring slots or pending slots are freed, if anyone waits.
    space: Notify,
    space_waiters: AtomicUsize,
}

impl Bridge {
    pub fn new(config: Config, router: Router, typed: Option<TypedEndpoints>, doorbell: Doorbell) -> Self {
        let slots = config.request_ring_bytes / keel_core::frame::SLOT_BYTES;
        Self {
            ring: RequestRing::new(slots),
            pending: PendingTable::new(config.max_inflight),
            responses: ResponseBuffer::new(config.response_buffer_bytes),
            connections: Arc::new(Semaphore::new(config.max_connections)),
            router,
            typed,
            doorbell,
            config,
            space: Notify::new(),
            space_waiters: AtomicUsize::new(0),
        }
    }

    /// Rings the doorbell when a publish found the consumer parked.
    pub fn after_publish(&self, published: Published) {
        if published.wake_consumer {
            self.doorbell.ring();
        }
    }

    /// Retries `attempt` whenever space is freed, until it succeeds or `deadline` passes.
    pub async fn wait_for_space<T>(&self, deadline: Instant, mut attempt: impl FnMut() -> Option<T>) -> Option<T> {
        loop {
            if let Some(done) = attempt() {
                return Some(done);
            }
            let notified = self.space.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            // The SeqCst increment pairs with the fence in `notify_space`: either the freer sees
            // this waiter, or this retry sees the freed space.
            self.space_waiters.fetch_add(1, Ordering::SeqCst);
            let retried = attempt();
            let timed_out = match retried {
                Some(_) => false,
                None => tokio::time::timeout_at(deadline, notified).await.is_err(),
            };
            self.space_waiters.fetch_sub(1, Ordering::SeqCst);
            if retried.is_some() {
                return retried;
            }
            if timed_out {
                return attempt();
            }
        }
    }

    fn notify_space(&self) {
        fence(Ordering::SeqCst);
        if self.space_waiters.load(Ordering::Relaxed) > 0 {
            self.space.notify_waiters();
        }
    }

    /// Publishes a frame that carries only a header (CANCEL, SHUTDOWN), waiting for space as
    /// long as it takes: these frames are bounded in number (one per in-flight request, one per
    /// runtime) and must not be lost.
    pub async fn publish_control(&self, kind: FrameKind, id: RequestId) {
        let publish = || {
            match self.ring.try_publish(kind, 16, None, |b| {
                b[8..12].copy_from_slice(&id.index.to_le_bytes());
                b[12..16].copy_from_slice(&id.generation.to_le_bytes());
            }) {
                Ok(published) => Some(published),
                Err(PublishError::Full) => None,
                Err(PublishError::TooLarge) => unreachable!("a 16-byte frame always fits"),
            }
        };
        loop {
            let far = Instant::now() + std::time::Duration::from_secs(3600);
            if let Some(published) = self.wait_for_space(far, publish).await {
                self.after_publish(published);
                return;
            }
        }
    }

    /// Tells JS that request `id` was abandoned, if it was still pending.
    pub fn cancel(self: &Arc<Self>, id: RequestId) {
        if !self.pending.cancel(id) {
            return;
        }
        self.notify_space();
        let write_cancel = |b: &mut [u8]| {
            b[8..12].copy_from_slice(&id.index.to_le_bytes());
            b[12..16].copy_from_slice(&id.generation.to_le_bytes());
        };
        match self.ring.try_publish(FrameKind::Cancel, 16, None, write_cancel) {
            Ok(published) => self.after_publish(published),
            Err(_) => {
                // Full: deliver it later. Called from a dropped future on an I/O thread, so a
                // runtime is present; the number of such tasks is bounded by `max_inflight`.
                let bridge = self.clone();
                tokio::spawn(async move { bridge.publish_control(FrameKind::Cancel, id).await });
            }
        }
    }

    // ---- consumer side (the JS thread, through the FFI) ----

    pub fn poll(&self, release: u32) -> Result<u32, ConsumeError> {
        let ready = self.ring.poll(release as u64)?;
        if release > 0 {
            self.notify_space();
        }
        Ok(ready as u32)
    }

    /// Delivers the response frames in the first `used` bytes of the response buffer.
    pub fn commit(&self, used: usize) -> Result<u32, FrameError> {
        if used > self.responses.len() {
            return Err(FrameError { offset: 0, reason: "used_bytes exceeds the response buffer" });
        }
        // SAFETY: JS finished writing these bytes before calling commit, and nothing else
        // writes the buffer while this call (on the same thread) reads it.
        let bytes = unsafe { std::slice::from_raw_parts(self.responses.as_ptr(), used) };
        self.deliver_all(bytes)
    }

    /// Delivers response frames held in caller memory.
    ///
    /// This runs on the JS thread, so it does the least it can: one copy of the batch, then per
    /// frame a length check and a hand-off of its slice. Parsing the headers and building the
    /// response happen on the connection's own I/O thread ([`build_response`]).
    pub fn deliver_all(&self, bytes: &[u8]) -> Result<u32, FrameError> {
        let batch = Bytes::copy_from_slice(bytes);
        let mut delivered = 0;
        let mut offset = 0;
        let mut outcome = Ok(());
        while offset < batch.len() {
            match peek(&batch[offset..]) {
                Ok((id, len)) => {
                    self.pending.complete(id, batch.slice(offset..offset + len));
                    delivered += 1;
                    offset += align8(len);
                }
                Err(reason) => {
                    outcome = Err(FrameError { offset, reason });
                    break;
                }
            }
        }
        self.notify_space();
        outcome.map(|()| delivered)
    }
}

/// Bodies up to this size are copied out of the committed batch, so that a slow client does
/// not keep a whole batch alive; larger ones are sliced (they dominate their batch anyway).
const COPY_BODY_BELOW: usize = 16 * 1024;

/// Turns a response frame into a hyper response; runs on the connection's I/O thread.
///
/// Framing headers are Rust's business (hyper sets Content-Length from the body), so the ones a
/// handler sets are dropped rather than allowed to contradict the body.
pub fn build_response(bytes: &Bytes) -> Reply {
    let frame = match ResponseFrame::parse(bytes) {
        Ok((frame, _)) => frame,
        Err(reason) => return invalid_handler_response(&format!("malformed response frame: {reason}")),
    };
    let status = match StatusCode::from_u16(frame.status) {
        Ok(status) if !status.is_informational() => status,
        _ => return invalid_handler_response(&format!("status {} cannot be sent", frame.status)),
    };
    let body = if frame.body.len() < COPY_BODY_BELOW {
        Bytes::copy_from_slice(frame.body)
    } else {
        bytes.slice_ref(frame.body)
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    for (name, value) in frame.headers() {
        let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) else {
            return invalid_handler_response("the handler returned an invalid header");
        };
        if name == header::CONTENT_LENGTH || name == header::TRANSFER_ENCODING || name == header::CONNECTION {
            continue;
        }
        headers.append(name, value);
    }
    response
}
