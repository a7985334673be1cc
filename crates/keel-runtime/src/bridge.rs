//! The bridge: state shared by the I/O threads and the JS consumer thread.
//!
//! Producers (connection tasks) publish frames into the request ring and wait on the pending
//! table; the consumer (JS, through the FFI) polls the ring and commits responses.

use std::cell::UnsafeCell;
use std::sync::atomic::{fence, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::{header, HeaderName, HeaderValue, Response, StatusCode};
use http_body_util::Either;
use keel_core::frame::{FrameKind, RequestId};
use keel_core::frame::align8;
use keel_core::response::{peek, FrameError, FrameRole, ResponseFrame};
use keel_core::ring::{ConsumeError, Published, PublishError, RequestRing};
use keel_core::router::Router;
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

use crate::config::Config;
use crate::doorbell::Doorbell;
use crate::errors::{invalid_handler_response, whole, Reply};
use crate::lean::{ConnKey, Inbound, Mailbox};
use crate::pending::{PendingTable, Waiter};
use crate::streaming::{ChunkStream, LoopNotice, StreamTable};
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
    /// Each waiter receives its response: a frame sliced from the committed batch.
    pub pending: PendingTable<Delivery>,
    pub streams: StreamTable,
    /// For tasks started from threads that are not the runtime's (the JS thread).
    runtime: tokio::runtime::Handle,
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
    /// The lean engine's workers, by index, when it is the engine serving.
    pub lean: OnceLock<Box<[Arc<Mailbox>]>>,
}

impl Bridge {
    /// Call inside the runtime's context (it keeps a handle to it).
    pub fn new(config: Config, router: Router, typed: Option<TypedEndpoints>, doorbell: Doorbell) -> Self {
        let slots = config.request_ring_bytes / keel_core::frame::SLOT_BYTES;
        Self {
            ring: RequestRing::new(slots),
            pending: PendingTable::new(config.max_inflight),
            streams: StreamTable::default(),
            runtime: tokio::runtime::Handle::current(),
            responses: ResponseBuffer::new(config.response_buffer_bytes),
            connections: Arc::new(Semaphore::new(config.max_connections)),
            router,
            typed,
            doorbell,
            config,
            space: Notify::new(),
            space_waiters: AtomicUsize::new(0),
            lean: OnceLock::new(),
        }
    }

    /// Makes every lean-engine worker look at the server's phase.
    pub fn wake_lean(&self) {
        for mailbox in self.lean.get().map(|b| &b[..]).unwrap_or_default() {
            mailbox.wake();
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

    /// Publishes a control frame (CANCEL, SHUTDOWN, CREDIT), waiting for space as long as it
    /// takes: these frames are bounded in number (per in-flight request or stream, and one per
    /// runtime) and must not be lost.
    pub async fn publish_control(&self, kind: FrameKind, id: RequestId, extra: u32) {
        loop {
            let far = Instant::now() + std::time::Duration::from_secs(3600);
            if let Some(published) = self.wait_for_space(far, || self.try_publish_control(kind, id, extra)).await {
                self.after_publish(published);
                return;
            }
        }
    }

    fn try_publish_control(&self, kind: FrameKind, id: RequestId, extra: u32) -> Option<Published> {
        // CREDIT carries a count after the id; the others are the bare 16-byte header.
        let len = if kind == FrameKind::Credit { 24 } else { 16 };
        match self.ring.try_publish(kind, len, None, |b| {
            b[8..12].copy_from_slice(&id.index.to_le_bytes());
            b[12..16].copy_from_slice(&id.generation.to_le_bytes());
            if len == 24 {
                b[16..20].copy_from_slice(&extra.to_le_bytes());
                b[20..24].copy_from_slice(&[0; 4]);
            }
        }) {
            Ok(published) => Some(published),
            Err(PublishError::Full) => None,
            Err(PublishError::TooLarge) => unreachable!("a control frame always fits"),
        }
    }

    /// Publishes a control frame from any thread without waiting: now if there is room, else
    /// from a task on the runtime.
    pub fn publish_detached(self: &Arc<Self>, kind: FrameKind, id: RequestId, extra: u32) {
        match self.try_publish_control(kind, id, extra) {
            Some(published) => self.after_publish(published),
            None => {
                let bridge = self.clone();
                self.runtime.spawn(async move { bridge.publish_control(kind, id, extra).await });
            }
        }
    }

    /// Tells JS that request `id` was abandoned, if it was still pending.
    pub fn cancel(self: &Arc<Self>, id: RequestId) {
        if self.pending.cancel(id) {
            self.notify_space();
            self.publish_detached(FrameKind::Cancel, id, 0);
        }
    }

    /// Tells JS that the socket took `bytes` of stream `id`.
    pub fn publish_credit(self: &Arc<Self>, id: RequestId, bytes: u32) {
        self.publish_detached(FrameKind::Credit, id, bytes);
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
    pub fn commit(self: &Arc<Self>, used: usize) -> Result<u32, FrameError> {
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
    pub fn deliver_all(self: &Arc<Self>, bytes: &[u8]) -> Result<u32, FrameError> {
        let batch = Bytes::copy_from_slice(bytes);
        let window = self.config.stream_window_bytes;
        let mut delivered = 0;
        let mut offset = 0;
        let mut outcome = Ok(());
        // What each lean-engine worker is handed in this batch: posted to its inbox with one lock
        // and woken once, after the batch.
        let mut outbox: Vec<Vec<(ConnKey, Inbound)>> = Vec::new();
        let mut post = |notice: LoopNotice| {
            let worker = notice.at.worker as usize;
            if outbox.len() <= worker {
                outbox.resize_with(worker + 1, Vec::new);
            }
            outbox[worker].push((notice.at.conn, notice.event));
        };
        let mut taken = self.pending.batch();
        while offset < batch.len() {
            match peek(&batch[offset..]) {
                Ok(frame) => {
                    let bytes = batch.slice(offset..offset + frame.len);
                    let body = bytes.slice(frame.body_start..);
                    match frame.role {
                        FrameRole::Whole => match taken.take(frame.id) {
                            Some(Waiter::Task(waiter)) => {
                                let _ = waiter.send(Delivery::Whole(bytes));
                            }
                            Some(Waiter::Loop(at)) => post(LoopNotice { at, event: Inbound::Answer { id: frame.id, frame: bytes } }),
                            None => {}
                        },
                        // Streams are registered here, on the JS thread, so that chunks
                        // committed in this same batch find them.
                        FrameRole::StreamHead => match taken.take(frame.id) {
                            Some(Waiter::Task(waiter)) => {
                                let stream = self.streams.open(self, frame.id, body, window);
                                let _ = waiter.send(Delivery::Stream(bytes, stream));
                            }
                            Some(Waiter::Loop(at)) => {
                                let state = self.streams.open_loop(frame.id, at, body.len());
                                post(LoopNotice { at, event: Inbound::StreamHead { id: frame.id, frame: bytes, state } });
                            }
                            None => {}
                        },
                        FrameRole::Chunk { last } => {
                            if let Some(notice) = self.streams.push(frame.id, body, last, window) {
                                post(notice);
                            }
                        }
                        FrameRole::Abort => {
                            if let Some(notice) = self.streams.abort(frame.id) {
                                post(notice);
                            }
                        }
                    }
                    delivered += 1;
                    offset += align8(frame.len);
                }
                Err(reason) => {
                    outcome = Err(FrameError { offset, reason });
                    break;
                }
            }
        }
        drop(taken);
        if let Some(boxes) = self.lean.get() {
            for (mailbox, posts) in boxes.iter().zip(outbox.iter_mut()) {
                if !posts.is_empty() {
                    mailbox.post_all(posts);
                    mailbox.wake();
                }
            }
        }
        self.notify_space();
        outcome.map(|()| delivered)
    }
}

/// What a waiting connection receives from JS.
pub enum Delivery {
    /// A whole response frame.
    Whole(Bytes),
    /// The head frame of a streamed response, and the body its chunks will arrive in.
    Stream(Bytes, ChunkStream),
}

/// Bodies up to this size are copied out of the committed batch, so that a slow client does
/// not keep a whole batch alive; larger ones are sliced (they dominate their batch anyway).
const COPY_BODY_BELOW: usize = 16 * 1024;

/// Turns what JS sent into a hyper response; runs on the connection's I/O thread.
///
/// Framing headers are Rust's business (hyper sets Content-Length from the body), so the ones a
/// handler sets are dropped rather than allowed to contradict the body. Responses to HEAD, and
/// 204 and 304, get no body whatever JS sent (a dropped stream tells JS to stop producing).
pub fn build_response(delivery: Delivery, head_request: bool) -> Reply {
    let (bytes, stream) = match delivery {
        Delivery::Whole(bytes) => (bytes, None),
        Delivery::Stream(bytes, stream) => (bytes, Some(stream)),
    };
    let frame = match ResponseFrame::parse(&bytes) {
        Ok((frame, _)) => frame,
        Err(reason) => return invalid_handler_response(&format!("malformed response frame: {reason}")),
    };
    let status = match StatusCode::from_u16(frame.status) {
        Ok(status) if !status.is_informational() => status,
        _ => return invalid_handler_response(&format!("status {} cannot be sent", frame.status)),
    };
    let bodiless = head_request || frame.status == 204 || frame.status == 304;
    let body = match stream {
        Some(stream) if !bodiless => Either::Right(stream),
        _ if bodiless => whole(Bytes::new()),
        _ if frame.body.len() < COPY_BODY_BELOW => whole(Bytes::copy_from_slice(frame.body)),
        _ => whole(bytes.slice_ref(frame.body)),
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    for (name, value) in frame.headers() {
        // Values are slices of the committed batch, not copies: hyper copies them into its
        // write buffer when it encodes the head, so they pin the batch only briefly.
        let value = HeaderValue::from_maybe_shared(bytes.slice_ref(value));
        let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name), value) else {
            return invalid_handler_response("the handler returned an invalid header");
        };
        if name == header::CONTENT_LENGTH || name == header::TRANSFER_ENCODING || name == header::CONNECTION {
            continue;
        }
        headers.append(name, value);
    }
    response
}
