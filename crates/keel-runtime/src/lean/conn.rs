//! One connection of the lean engine: its buffers, the request being read, and the answers
//! owed to the client, in request order.
//!
//! Invariants: `queue` holds one slot per request taken off the wire, in arrival order, and
//! only its front slot writes into `wbuf`; a request is handed to JS only once its whole body
//! has arrived; at most `MAX_PIPELINE` requests are owed at once, and at most about
//! `max_request_body_size + MAX_HEAD_BYTES` unparsed bytes are buffered.

use std::cell::Cell;
use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::body::Body as _;
use keel_core::envelope::HttpVersion;
use keel_core::frame::{FrameKind, RequestId};
use keel_core::response::ResponseFrame;
use keel_core::ring::PublishError;
use keel_core::router::RouteMatch;
use mio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;

use super::http1::{self, BodyFraming, ChunkedDecoder, DateCache, Framing, Head, HeadFacts};
use super::read_buf::{Filled, ReadBuf};
use super::wake_js::DeferredRing;
use super::{ConnKey, Inbound, LoopAddress};
use crate::bridge::Bridge;
use crate::errors::{self, Reply};
use crate::pending::Waiter;
use crate::publish::{self, HeaderSource, IncomingRequest, RequestBody};
use crate::streaming::StreamState;
use crate::typed;

/// Most requests one connection may have owed at once (pipelining depth).
const MAX_PIPELINE: usize = 32;

/// Stream chunks are moved into the write buffer only while it holds less than this, so that
/// credit follows what the socket takes.
const STREAM_WRITE_AHEAD: usize = 64 * 1024;

/// How soon a request waiting for room in the ring is retried.
const STALL_RETRY: Duration = Duration::from_millis(1);

/// A refused upload is read and dropped for at most this long before the connection closes.
const DISCARD_FOR: Duration = Duration::from_secs(1);

/// What the worker needs to serve a connection; one per worker.
pub struct Ctx<'a> {
    pub bridge: &'a Arc<Bridge>,
    pub worker: u16,
    pub date: &'a DateCache,
    pub now: Instant,
    /// The server is draining: finish what is owed, take no new requests.
    pub draining: bool,
    /// When the worker must next call `tick`; lowered through `wake_by`.
    pub next_tick: &'a Cell<Instant>,
    /// Wakes a parked JS consumer per batch rather than per publish (see wake_js.rs).
    pub wake_js: &'a DeferredRing,
}

impl Ctx<'_> {
    /// Makes sure the worker ticks no later than `at` (a deadline was set or a retry is due).
    pub fn wake_by(&self, at: Instant) {
        if at < self.next_tick.get() {
            self.next_tick.set(at);
        }
    }
}

/// What the worker should do with the connection after an event.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    Keep,
    Close,
    /// The client speaks HTTP/2: give the socket to the hyper engine.
    HandOff,
}

enum ReadState {
    /// Waiting for (more of) a request head.
    Head,
    /// The head is complete (the first `head_len` unread bytes); its body is arriving.
    Body { head_len: usize, facts: HeadFacts, chunked: Option<ChunkedBody> },
    /// A refused upload: read and drop up to `budget` bytes until `until` or the body's end,
    /// then close.
    Discard { budget: u64, until: Instant, end: DiscardEnd },
    /// No more requests will be read.
    Done,
}

/// How the end of a refused body is recognised while it is dropped.
#[derive(Debug, Clone, Copy)]
enum DiscardEnd {
    /// After this many more bytes (a declared length).
    After(u64),
    /// At the last-chunk marker; `tail` keeps the last bytes seen, across reads.
    LastChunk { tail: [u8; 4] },
    /// Nothing was sent yet (the client waits for 100-continue) or nothing can tell.
    Unknown,
}

impl DiscardEnd {
    /// Accounts for `bytes` dropped; true once the body has ended.
    fn consume(&mut self, bytes: &[u8]) -> bool {
        match self {
            DiscardEnd::After(left) => {
                *left = left.saturating_sub(bytes.len() as u64);
                *left == 0
            }
            DiscardEnd::LastChunk { tail } => {
                let mut window = tail.to_vec();
                window.extend_from_slice(&bytes[bytes.len().saturating_sub(8)..]);
                let ended = window.windows(5).any(|w| w == b"0\r\n\r\n")
                    || bytes.windows(5).any(|w| w == b"0\r\n\r\n");
                let keep = window.len() - 4;
                tail.copy_from_slice(&window[keep..]);
                ended
            }
            DiscardEnd::Unknown => false,
        }
    }
}

struct ChunkedBody {
    decoder: ChunkedDecoder,
    /// Where the next undecoded byte is, relative to the start of the unread bytes.
    cursor: usize,
    body: Vec<u8>,
    /// The whole body once decoded, with the unread bytes it took; kept so that a
    /// request stalled on a full ring can be dispatched again.
    done: Option<(Bytes, usize)>,
}

struct StreamSlot {
    id: RequestId,
    state: Arc<StreamState>,
    head: Option<Vec<u8>>,
    chunks: VecDeque<Bytes>,
    ended: bool,
    chunked: bool,
    close: bool,
    /// Bytes moved to the write buffer since the last CREDIT.
    uncredited: usize,
}

enum Slot {
    /// Handed to JS; the answer has not come yet.
    Waiting { id: RequestId, head_request: bool, close: bool, http10: bool },
    /// A whole answer, rendered, waiting for the slots before it.
    Ready { bytes: Vec<u8>, close: bool },
    Stream(StreamSlot),
}

/// Bytes an answer's HTTP/1.1 head needs beyond the frame's own size: the status line, `date`,
/// `content-length` and a possible `connection` header.
const ANSWER_HEAD_SLACK: usize = 160;

pub struct Conn {
    pub key: ConnKey,
    pub socket: TcpStream,
    remote: String,
    remote_addr: std::net::SocketAddr,
    /// Read from the socket, not yet consumed: the request being parsed and any behind it.
    rbuf: ReadBuf,
    wbuf: Vec<u8>,
    wpos: usize,
    read: ReadState,
    queue: VecDeque<Slot>,
    /// Reading stopped with data possibly left in the socket (buffer bound reached); the next
    /// [`resume`](Conn::resume) reads again, since an edge-triggered poller will not say so.
    read_paused: bool,
    /// When the connection must have sent a complete request head (or be closed).
    head_deadline: Option<Instant>,
    /// While a request body is arriving: when more of it must have come (each read pushes it
    /// back by the idle timeout), or the request is answered 408 and the connection closed.
    body_deadline: Option<Instant>,
    /// Since when the request at the front of the unread bytes has been waiting for room in the ring or the table.
    stalled_since: Option<Instant>,
    /// Requests taken off this connection so far (HTTP/2 can only start a connection).
    requests_seen: u64,
    /// Listed among the worker's connections to write at the end of a mailbox batch.
    pub dirty: bool,
    _permit: OwnedSemaphorePermit,
}

impl Conn {
    pub fn new(key: ConnKey, socket: TcpStream, remote: std::net::SocketAddr, permit: OwnedSemaphorePermit, ctx: &Ctx<'_>) -> Conn {
        let head_deadline = ctx.now + ctx.bridge.config.head_wait_timeout();
        ctx.wake_by(head_deadline);
        Conn {
            key,
            socket,
            remote: remote.to_string(),
            remote_addr: remote,
            rbuf: ReadBuf::default(),
            wbuf: Vec::new(),
            wpos: 0,
            read: ReadState::Head,
            queue: VecDeque::new(),
            read_paused: false,
            head_deadline: Some(head_deadline),
            body_deadline: None,
            stalled_since: None,
            requests_seen: 0,
            dirty: false,
            _permit: permit,
        }
    }

    /// The bytes read but not yet parsed, for a hand-off to the hyper engine.
    pub fn take_unparsed(&mut self) -> Vec<u8> {
        self.rbuf.take_unread()
    }

    /// The socket, the peer's address and the connection permit, for a hand-off.
    pub fn into_parts(self) -> (TcpStream, std::net::SocketAddr, OwnedSemaphorePermit) {
        (self.socket, self.remote_addr, self._permit)
    }

    /// The socket is readable (or closed by the peer).
    pub fn on_readable(&mut self, ctx: &Ctx<'_>) -> Flow {
        let peer_closed = match self.fill(ctx) {
            Ok(closed) => closed,
            Err(()) => return Flow::Close,
        };
        let flow = self.advance(ctx);
        if flow != Flow::Keep {
            return flow;
        }
        if peer_closed {
            // The client is gone (hyper's half_close(false) semantics): what it was owed is
            // abandoned. Answers already rendered are still flushed, best effort.
            self.pump(ctx);
            let _ = self.flush();
            return Flow::Close;
        }
        Flow::Keep
    }

    /// Reads what the socket has. `Ok(true)` when the peer closed its side.
    fn fill(&mut self, ctx: &Ctx<'_>) -> Result<bool, ()> {
        let bound = ctx.bridge.config.max_request_body_size as usize + http1::MAX_HEAD_BYTES;
        self.read_paused = false;
        loop {
            if let ReadState::Discard { budget, end, .. } = &mut self.read {
                // Refused input is dropped as it comes: nothing of it is kept.
                let mut sink = [0u8; 16 * 1024];
                match self.socket.read(&mut sink) {
                    Ok(0) => return Ok(true),
                    Ok(n) => {
                        *budget = budget.saturating_sub(n as u64);
                        if *budget == 0 || end.consume(&sink[..n]) {
                            return Ok(true);
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(_) => return Err(()),
                }
                continue;
            }
            if self.rbuf.len() >= bound {
                self.read_paused = true;
                return Ok(false);
            }
            let read = self.rbuf.read_from(&mut self.socket);
            if matches!(read, Ok(Filled { bytes: 1.., .. })) && self.body_deadline.is_some() {
                self.body_deadline = Some(ctx.now + ctx.bridge.config.idle_timeout());
            }
            match read {
                Ok(Filled { bytes: 0, .. }) => return Ok(true),
                Ok(Filled { bytes, room }) if bytes < room => return Ok(false), // drained: the socket had no more
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Err(()),
            }
        }
    }

    /// Reads again after a pause, and parses what is buffered.
    pub fn resume(&mut self, ctx: &Ctx<'_>) -> Flow {
        if self.read_paused {
            return self.on_readable(ctx);
        }
        self.advance(ctx)
    }

    /// Takes complete requests off the buffer while the pipeline has room.
    fn advance(&mut self, ctx: &Ctx<'_>) -> Flow {
        loop {
            // A stalled request is retried by the worker's tick, not by new input.
            if self.queue.len() >= MAX_PIPELINE || self.stalled_since.is_some() {
                return Flow::Keep;
            }
            let progressed = match self.read {
                ReadState::Head => match self.read_head(ctx) {
                    Ok(progressed) => progressed,
                    Err(flow) => return flow,
                },
                ReadState::Body { .. } => self.read_body(ctx),
                ReadState::Discard { .. } | ReadState::Done => false,
            };
            if !progressed {
                return Flow::Keep;
            }
        }
    }

    /// Parses a head at the front of the unread bytes and, when its body is absent or already
    /// here, dispatches the request. `Ok(true)` when a request was taken (dispatched, or waiting
    /// for its body in `ReadState::Body`) or refused.
    fn read_head(&mut self, ctx: &Ctx<'_>) -> Result<bool, Flow> {
        let input = self.rbuf.unread();
        if input.is_empty() {
            return Ok(false);
        }
        if ctx.draining && self.queue.is_empty() {
            // Draining: a new request on an idle connection is not taken; the client retries
            // elsewhere (the same as a keep-alive connection closed just before it sent).
            return Err(Flow::Close);
        }
        if self.requests_seen == 0 && input.len() >= 3 && http1::H2_PREFACE.starts_with(&input[..input.len().min(http1::H2_PREFACE.len())]) {
            return if input.len() >= http1::H2_PREFACE.len() { Err(Flow::HandOff) } else { Ok(false) };
        }
        let mut room = http1::header_room();
        let (head_len, head, facts) = match http1::parse_head(input, &mut room) {
            Ok(Some((head_len, head))) => match http1::head_facts(head.http10, head.headers) {
                Ok(facts) => (head_len, head, facts),
                Err(reason) => return Err(self.refuse_and_close(ctx, errors::bad_request(reason))),
            },
            Ok(None) if input.len() > http1::MAX_HEAD_BYTES => {
                return Err(self.refuse_and_close(ctx, errors::head_too_large()));
            }
            Ok(None) => return Ok(false),
            Err(httparse::Error::TooManyHeaders) => return Err(self.refuse_and_close(ctx, errors::head_too_large())),
            Err(error) => return Err(self.refuse_and_close(ctx, errors::bad_request(http1::malformed_head_reason(error)))),
        };
        self.head_deadline = None;
        self.requests_seen += 1;
        let limit = ctx.bridge.config.max_request_body_size;
        if let Framing::Length(declared) = facts.framing {
            if declared > limit {
                self.rbuf.consume(head_len);
                let buffered = self.rbuf.len() as u64;
                let end = if facts.expect_continue { DiscardEnd::Unknown } else { DiscardEnd::After(declared.saturating_sub(buffered)) };
                self.refuse_upload(ctx, limit, end);
                return Ok(true);
            }
        }
        if facts.expect_continue && facts.framing != Framing::Empty && self.queue.is_empty() {
            // Nothing is owed before this request, so the interim answer cannot jump the queue.
            self.wbuf.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
        }
        // The common case — no body, or all of it already read — is dispatched with the head
        // just parsed; otherwise the body is awaited and read_body parses the head again.
        let Some((body, consumed)) = whole_body(input, head_len, facts.framing) else {
            let chunked = (facts.framing == Framing::Chunked)
                .then(|| ChunkedBody { decoder: ChunkedDecoder::default(), cursor: head_len, body: Vec::new(), done: None });
            self.read = ReadState::Body { head_len, facts, chunked };
            let deadline = ctx.now + ctx.bridge.config.idle_timeout();
            ctx.wake_by(deadline);
            self.body_deadline = Some(deadline);
            return Ok(true);
        };
        let keep_alive = facts.keep_alive && !ctx.draining;
        let address = LoopAddress { worker: ctx.worker, conn: self.key };
        let body = RequestBody::Borrowed(body);
        let outcome = dispatch(ctx, address, &self.remote, &head, body, !keep_alive, self.stalled_since);
        Ok(self.settle_dispatch(ctx, outcome, consumed, keep_alive, head_len, facts))
    }

    /// Completes the body of the request at the front of the unread bytes if it has arrived, then dispatches it.
    fn read_body(&mut self, ctx: &Ctx<'_>) -> bool {
        let ReadState::Body { head_len, facts, chunked } = &mut self.read else { return false };
        let (head_len, facts) = (*head_len, *facts);
        let limit = ctx.bridge.config.max_request_body_size;
        // A body of known length is read in place; a chunked one has been decoded into bytes of
        // its own, kept in the state in case the dispatch stalls and is tried again.
        let (decoded, consumed) = match (facts.framing, chunked) {
            (Framing::Empty | Framing::Length(_), _) => match whole_body(self.rbuf.unread(), head_len, facts.framing) {
                Some((_, consumed)) => (None, consumed),
                None => return false,
            },
            (Framing::Chunked, Some(ChunkedBody { done: Some((body, consumed)), .. })) => (Some(body.clone()), *consumed),
            (Framing::Chunked, Some(state)) => {
                let input = &self.rbuf.unread()[state.cursor..];
                match state.decoder.decode(input, &mut state.body, limit) {
                    Ok((used, false)) => {
                        state.cursor += used;
                        return false;
                    }
                    Ok((used, true)) => {
                        let done = (Bytes::from(std::mem::take(&mut state.body)), state.cursor + used);
                        state.done = Some(done.clone());
                        (Some(done.0), done.1)
                    }
                    Err(http1::ChunkError::TooLarge) => {
                        let mut end = DiscardEnd::LastChunk { tail: [0; 4] };
                        let ended = end.consume(self.rbuf.unread());
                        self.rbuf.consume_all();
                        self.refuse_upload(ctx, limit, if ended { DiscardEnd::After(0) } else { end });
                        return true;
                    }
                    Err(http1::ChunkError::Malformed) => {
                        let _ = self.refuse_and_close(ctx, errors::bad_body());
                        return true;
                    }
                }
            }
            (Framing::Chunked, None) => unreachable!("a chunked body always has its decoder state"),
        };
        let keep_alive = facts.keep_alive && !ctx.draining;
        let address = LoopAddress { worker: ctx.worker, conn: self.key };
        let unread = self.rbuf.unread();
        let body = match &decoded {
            Some(bytes) => RequestBody::Owned(bytes),
            None => RequestBody::Borrowed(&unread[head_len..consumed]),
        };
        let mut room = http1::header_room();
        let outcome = match http1::parse_head(&unread[..head_len], &mut room) {
            Ok(Some((_, head))) => dispatch(ctx, address, &self.remote, &head, body, !keep_alive, self.stalled_since),
            // The same bytes parsed before; only a bug could make them fail now.
            _ => ready(ctx, errors::bad_request("malformed HTTP request"), false, true),
        };
        self.settle_dispatch(ctx, outcome, consumed, keep_alive, head_len, facts)
    }

    /// Takes a dispatched request off the unread bytes and queues its slot; or, when there was
    /// no room to publish it, leaves it at the front of the unread bytes, its head read and its
    /// body complete (`ReadState::Body`), for the worker's tick to dispatch again. True when
    /// the request was taken.
    fn settle_dispatch(&mut self, ctx: &Ctx<'_>, outcome: Dispatched, consumed: usize, keep_alive: bool, head_len: usize, facts: HeadFacts) -> bool {
        match outcome {
            Dispatched::Slot(slot) => {
                self.stalled_since = None;
                self.body_deadline = None;
                self.rbuf.consume(consumed);
                self.read = if keep_alive { ReadState::Head } else { ReadState::Done };
                self.queue.push_back(slot);
                self.pump(ctx);
                true
            }
            Dispatched::Stalled => {
                if !matches!(self.read, ReadState::Body { .. }) {
                    self.read = ReadState::Body { head_len, facts, chunked: None };
                }
                self.stalled_since.get_or_insert(ctx.now);
                ctx.wake_by(ctx.now + STALL_RETRY);
                false
            }
        }
    }

    /// Answers `reply` after what is owed, and takes no more requests: the stream cannot be
    /// trusted past this point.
    fn refuse_and_close(&mut self, ctx: &Ctx<'_>, reply: Reply) -> Flow {
        self.body_deadline = None;
        let mut bytes = Vec::new();
        render_reply(&mut bytes, reply, false, true, ctx.date);
        self.queue.push_back(Slot::Ready { bytes, close: true });
        self.read = ReadState::Done;
        self.rbuf.consume_all();
        self.pump(ctx);
        Flow::Keep
    }

    /// 413 for an upload over the limit. Unless the client waits for 100-continue (and so has
    /// not sent the body), the body is read and dropped, within bounds, before closing: closing
    /// with unread input makes the kernel reset the connection, which can destroy the 413.
    fn refuse_upload(&mut self, ctx: &Ctx<'_>, limit: u64, end: DiscardEnd) {
        self.body_deadline = None;
        let mut bytes = Vec::new();
        render_reply(&mut bytes, errors::body_too_large(limit), false, true, ctx.date);
        self.queue.push_back(Slot::Ready { bytes, close: true });
        let buffered = self.rbuf.len() as u64;
        self.rbuf.consume_all();
        self.read = match end {
            DiscardEnd::Unknown | DiscardEnd::After(0) => ReadState::Done,
            end => {
                let budget = limit.max(1 << 20).saturating_sub(buffered).max(1);
                let until = ctx.now + DISCARD_FOR;
                ctx.wake_by(until);
                ReadState::Discard { budget, until, end }
            }
        };
        self.pump(ctx);
    }

    /// An answer (or stream traffic) from JS for a request on this connection.
    pub fn deliver(&mut self, ctx: &Ctx<'_>, event: Inbound) -> Flow {
        match event {
            Inbound::Answer { id, frame } => {
                let Some(index) = self.waiting_index(id) else { return Flow::Keep };
                let Slot::Waiting { head_request, close, http10, .. } = self.queue[index] else { unreachable!() };
                // Sized once: the frame holds the headers and body; the status line, date and
                // framing headers fit in the slack. Growing from empty took ~5 reallocations.
                let mut bytes = Vec::with_capacity(frame.len() + ANSWER_HEAD_SLACK);
                render_answer(&mut bytes, &frame, head_request, close, http10, ctx.date);
                self.queue[index] = Slot::Ready { bytes, close };
            }
            Inbound::StreamHead { id, frame, state } => {
                let Some(index) = self.waiting_index(id) else {
                    // The request was abandoned while JS answered: stop the producer.
                    close_stream(ctx.bridge, id);
                    return Flow::Keep;
                };
                let Slot::Waiting { head_request, close, http10, .. } = self.queue[index] else { unreachable!() };
                self.queue[index] = open_stream(ctx, id, &frame, state, head_request, close, http10);
            }
            Inbound::Chunk { id, bytes, last } => {
                let Some(stream) = self.stream_mut(id) else { return Flow::Keep };
                if !bytes.is_empty() {
                    stream.chunks.push_back(bytes);
                }
                stream.ended |= last;
            }
            Inbound::Abort { id } => {
                if self.stream_mut(id).is_some() {
                    // Send what the stream produced before it broke, then cut the connection
                    // so the client sees a truncated body rather than a complete one.
                    self.pump_all(ctx, id);
                    let _ = self.flush();
                    return Flow::Close;
                }
                return Flow::Keep;
            }
        }
        self.pump(ctx);
        Flow::Keep
    }

    fn waiting_index(&self, id: RequestId) -> Option<usize> {
        self.queue.iter().position(|slot| matches!(slot, Slot::Waiting { id: waiting, .. } if *waiting == id))
    }

    fn stream_mut(&mut self, id: RequestId) -> Option<&mut StreamSlot> {
        self.queue.iter_mut().find_map(|slot| match slot {
            Slot::Stream(stream) if stream.id == id => Some(stream),
            _ => None,
        })
    }

    /// Moves what the front slots have ready into the write buffer.
    pub fn pump(&mut self, ctx: &Ctx<'_>) {
        while let Some(front) = self.queue.front_mut() {
            let finished_close = match front {
                Slot::Waiting { .. } => return,
                Slot::Ready { bytes, close } => {
                    if self.wbuf.is_empty() {
                        std::mem::swap(&mut self.wbuf, bytes);
                        self.wpos = 0;
                    } else {
                        self.wbuf.extend_from_slice(bytes);
                    }
                    *close
                }
                Slot::Stream(stream) => {
                    if !write_stream(ctx, stream, &mut self.wbuf, self.wpos, false) {
                        return;
                    }
                    stream.close
                }
            };
            self.queue.pop_front();
            if finished_close {
                // Nothing after a closing answer is sent; requests behind it are abandoned.
                // (A refused upload keeps being drained until its bounds; see refuse_upload.)
                if !matches!(self.read, ReadState::Discard { .. }) {
                    self.read = ReadState::Done;
                }
                self.abandon_all(ctx.bridge);
                return;
            }
            if self.queue.is_empty() && matches!(self.read, ReadState::Head) && self.rbuf.is_empty() {
                let deadline = ctx.now + ctx.bridge.config.head_wait_timeout();
                ctx.wake_by(deadline);
                self.head_deadline = Some(deadline);
            }
        }
    }

    /// Moves everything stream `id` has into the write buffer, ignoring the write-ahead bound
    /// (the connection is about to close).
    fn pump_all(&mut self, ctx: &Ctx<'_>, id: RequestId) {
        self.pump(ctx);
        if let Some(Slot::Stream(stream)) = self.queue.front_mut() {
            if stream.id == id {
                write_stream(ctx, stream, &mut self.wbuf, self.wpos, true);
            }
        }
    }

    /// True when nothing is owed and nothing is half-read: safe to close while draining.
    pub fn idle(&self) -> bool {
        self.queue.is_empty() && self.wpos == self.wbuf.len() && self.rbuf.is_empty()
            && matches!(self.read, ReadState::Head)
    }

    /// Writes the buffer out. `Err` when the socket is broken. Closes once a closing answer is
    /// fully written.
    pub fn flush(&mut self) -> Result<Flow, ()> {
        while self.wpos < self.wbuf.len() {
            match self.socket.write(&self.wbuf[self.wpos..]) {
                Ok(0) => return Err(()),
                Ok(n) => self.wpos += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(Flow::Keep),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Err(()),
            }
        }
        self.wbuf.clear();
        self.wpos = 0;
        if matches!(self.read, ReadState::Done) && self.queue.is_empty() {
            return Ok(Flow::Close);
        }
        Ok(Flow::Keep)
    }

    /// Flushes, feeds a stream at the front while the socket takes it, and takes more requests
    /// once the pipeline has room again.
    pub fn write_out(&mut self, ctx: &Ctx<'_>) -> Flow {
        loop {
            match self.flush() {
                Ok(Flow::Keep) => {}
                Ok(flow) => return flow,
                Err(()) => return Flow::Close,
            }
            if self.wpos < self.wbuf.len() {
                return Flow::Keep; // the socket is full; a writable event brings us back
            }
            if self.wants_pump() {
                self.pump(ctx);
                continue;
            }
            let unparsed = self.read_paused || !self.rbuf.is_empty();
            if unparsed && self.queue.len() < MAX_PIPELINE && self.stalled_since.is_none() {
                let before = (self.rbuf.progress(), self.queue.len());
                let flow = self.resume(ctx);
                if flow != Flow::Keep {
                    return flow;
                }
                let progressed = before != (self.rbuf.progress(), self.queue.len());
                if progressed && self.wpos < self.wbuf.len() {
                    continue;
                }
            }
            return Flow::Keep;
        }
    }

    /// True when the write buffer has room for more stream bytes that are waiting.
    fn wants_pump(&self) -> bool {
        matches!(self.queue.front(), Some(Slot::Stream(s)) if !s.chunks.is_empty() || s.ended)
            && self.wbuf.len() - self.wpos < STREAM_WRITE_AHEAD
    }

    /// Timeouts and stalled requests. `Close` when the connection has to go.
    pub fn tick(&mut self, ctx: &Ctx<'_>) -> Flow {
        if let ReadState::Discard { until, .. } = self.read {
            if ctx.now >= until {
                return Flow::Close;
            }
        }
        if self.head_deadline.is_some_and(|deadline| ctx.now >= deadline) {
            self.head_deadline = None;
            if self.queue.is_empty() && self.wpos == self.wbuf.len() {
                // An idle connection just closes; one that sent part of a head is told why.
                if self.rbuf.is_empty() {
                    return Flow::Close;
                }
                let waited_ms = ctx.bridge.config.head_wait_timeout().as_millis() as u64;
                return self.refuse_and_close(ctx, errors::head_stalled(waited_ms));
            }
        }
        if self.body_deadline.is_some_and(|deadline| ctx.now >= deadline) {
            self.body_deadline = None;
            // A body that is complete and only waits for room in the ring is not the client's
            // delay: the queue timeout covers it.
            if matches!(self.read, ReadState::Body { .. }) && self.stalled_since.is_none() {
                let waited_ms = ctx.bridge.config.idle_timeout_ms;
                return self.refuse_and_close(ctx, errors::body_stalled(waited_ms));
            }
        }
        if self.stalled_since.is_some() && matches!(self.read, ReadState::Body { .. }) {
            self.read_body(ctx);
            return self.advance(ctx);
        }
        if ctx.draining && self.idle() {
            return Flow::Close;
        }
        Flow::Keep
    }

    /// The earliest moment `tick` has something to do for this connection, if any.
    pub fn next_deadline(&self, now: Instant) -> Option<Instant> {
        let discard = match self.read {
            ReadState::Discard { until, .. } => Some(until),
            _ => None,
        };
        let retry = self.stalled_since.map(|_| now + STALL_RETRY);
        [self.head_deadline, self.body_deadline, discard, retry].into_iter().flatten().min()
    }

    /// Tells JS that everything still owed on this connection is abandoned.
    pub fn abandon_all(&mut self, bridge: &Arc<Bridge>) {
        for slot in self.queue.drain(..) {
            match slot {
                Slot::Waiting { id, .. } => bridge.cancel(id),
                Slot::Stream(stream) if !stream.ended => close_stream(bridge, stream.id),
                _ => {}
            }
        }
    }
}

/// Ends stream `id` from the connection's side and tells JS to stop producing it.
pub fn close_stream(bridge: &Arc<Bridge>, id: RequestId) {
    if bridge.streams.close(id) {
        bridge.publish_detached(FrameKind::Cancel, id, 0);
    }
}

/// The body of the request whose head takes the first `head_len` bytes of `input`, and how many
/// bytes the request takes in all, once a body of known length (or none) has fully arrived;
/// `None` while it has not, or for a chunked body (decoded by read_body).
fn whole_body(input: &[u8], head_len: usize, framing: Framing) -> Option<(&[u8], usize)> {
    match framing {
        Framing::Empty => Some((&[], head_len)),
        Framing::Length(len) => {
            let end = head_len + len as usize;
            (input.len() >= end).then(|| (&input[head_len..end], end))
        }
        Framing::Chunked => None,
    }
}

enum Dispatched {
    Slot(Slot),
    /// No room in the ring or the pending table yet; try again later.
    Stalled,
}

/// Routes, validates and publishes one complete request; or answers it at once.
fn dispatch(
    ctx: &Ctx<'_>,
    address: LoopAddress,
    remote: &str,
    head: &Head<'_, '_>,
    body: RequestBody<'_>,
    close: bool,
    stalled_since: Option<Instant>,
) -> Dispatched {
    let bridge = ctx.bridge;
    let method = head.method;
    let head_request = method == "HEAD";
    let http10 = head.http10;
    let (path, query) = http1::split_target(head.target);
    let (endpoint, params) = match bridge.router.route(method, path) {
        RouteMatch::Found { endpoint, params } => (endpoint, params),
        RouteMatch::MethodNotAllowed { allow } => {
            return ready(ctx, errors::method_not_allowed(method, path, &allow), head_request, close)
        }
        RouteMatch::NotFound if bridge.config.fallback => (0, Vec::new()),
        RouteMatch::NotFound => return ready(ctx, errors::not_found(method, path), head_request, close),
    };
    let header_source = HeaderSource::Raw(head.headers);
    let decoder = match publish::decode_typed(bridge, endpoint, query, &header_source, &params, body.bytes()) {
        Ok(decoder) => decoder,
        Err(error_json) => return ready(ctx, errors::invalid_request(error_json), head_request, close),
    };
    let give_back = |decoder: Option<keel_core::typed::RequestDecoder<'_>>| {
        if let Some(decoder) = decoder {
            typed::give_back(decoder.into_scratch());
        }
    };
    let overdue = stalled_since.is_some_and(|since| ctx.now >= since + bridge.config.queue_timeout());
    let Some(id) = bridge.pending.acquire_for(Waiter::Loop(address)) else {
        give_back(decoder);
        return if overdue { ready(ctx, errors::overloaded(bridge.config.retry_after_seconds), head_request, close) } else { Dispatched::Stalled };
    };
    let payload = decoder.as_ref().map(|d| d.payload());
    let incoming = IncomingRequest {
        id,
        endpoint,
        method,
        path,
        query,
        headers: header_source,
        params: &params,
        body: if payload.is_some() { RequestBody::EMPTY } else { body },
        payload: payload.unwrap_or_default(),
        remote_addr: remote,
        version: if http10 { HttpVersion::Http10 } else { HttpVersion::Http11 },
    };
    let published = incoming.try_publish(bridge);
    give_back(decoder);
    match published {
        Ok(published) => {
            ctx.wake_js.after_publish(published.wake_consumer, ctx.now, || bridge.doorbell.ring());
            Dispatched::Slot(Slot::Waiting { id, head_request, close, http10 })
        }
        Err(error) => {
            // Never seen by JS: free the slot without a CANCEL frame.
            bridge.pending.take(id);
            match error {
                PublishError::TooLarge => ready(ctx, errors::headers_too_large(), head_request, close),
                PublishError::Full if overdue => {
                    ready(ctx, errors::overloaded(bridge.config.retry_after_seconds), head_request, close)
                }
                PublishError::Full => Dispatched::Stalled,
            }
        }
    }
}

fn ready(ctx: &Ctx<'_>, reply: Reply, head_request: bool, close: bool) -> Dispatched {
    let mut bytes = Vec::new();
    render_reply(&mut bytes, reply, head_request, close, ctx.date);
    Dispatched::Slot(Slot::Ready { bytes, close })
}

/// Renders a response Rust made itself (errors.rs).
fn render_reply(out: &mut Vec<u8>, reply: Reply, head_request: bool, close: bool, date: &DateCache) {
    let (parts, body) = reply.into_parts();
    let mut body = std::pin::pin!(body);
    // Rust's own replies are always whole (`Full`), so one poll yields the bytes.
    let mut cx = Context::from_waker(Waker::noop());
    let bytes = match body.as_mut().poll_frame(&mut cx) {
        Poll::Ready(Some(Ok(frame))) => frame.into_data().unwrap_or_default(),
        _ => Bytes::new(),
    };
    let headers = parts.headers.iter().map(|(name, value)| (name.as_str().as_bytes(), value.as_bytes()));
    let framing = BodyFraming::Length(bytes.len());
    if http1::write_head(out, parts.status.as_u16(), headers, framing, close, date).is_ok() && !head_request {
        out.extend_from_slice(&bytes);
    }
}

/// Renders JS's whole answer; a frame that cannot be sent becomes a 500.
fn render_answer(out: &mut Vec<u8>, frame: &Bytes, head_request: bool, close: bool, http10: bool, date: &DateCache) {
    let parsed = match ResponseFrame::parse(frame) {
        Ok((parsed, _)) => parsed,
        Err(reason) => {
            let reply = errors::invalid_handler_response(&format!("malformed response frame: {reason}"));
            return render_reply(out, reply, head_request, close, date);
        }
    };
    if !http1::sendable_status(parsed.status) {
        let reply = errors::invalid_handler_response(&format!("status {} cannot be sent", parsed.status));
        return render_reply(out, reply, head_request, close, date);
    }
    let no_content = parsed.status == 204 || parsed.status == 304;
    let framing = if no_content { BodyFraming::None } else { BodyFraming::Length(parsed.body.len()) };
    let written = http1::write_head(out, parsed.status, parsed.headers(), framing, close, date);
    if written.is_ok() && http10 && !close {
        insert_keep_alive(out);
    }
    if written.is_err() {
        let reply = errors::invalid_handler_response("the handler returned an invalid header");
        return render_reply(out, reply, head_request, close, date);
    }
    if !head_request && !no_content {
        out.extend_from_slice(parsed.body);
    }
}

/// HTTP/1.0 clients assume the connection closes unless told otherwise.
fn insert_keep_alive(out: &mut Vec<u8>) {
    // The head ends with "\r\n\r\n"; the header goes just before the final CRLF.
    let at = out.len() - 2;
    out.splice(at..at, b"connection: keep-alive\r\n".iter().copied());
}

/// Turns a stream's head frame into its slot. A bodiless answer (HEAD, 204, 304) sends only
/// the head and tells JS to stop producing.
fn open_stream(
    ctx: &Ctx<'_>,
    id: RequestId,
    frame: &Bytes,
    state: Arc<StreamState>,
    head_request: bool,
    close: bool,
    http10: bool,
) -> Slot {
    let parsed = match ResponseFrame::parse(frame) {
        Ok((parsed, _)) if http1::sendable_status(parsed.status) => parsed,
        _ => {
            close_stream(ctx.bridge, id);
            let mut bytes = Vec::new();
            let reply = errors::invalid_handler_response("the handler's streamed response has an invalid head");
            render_reply(&mut bytes, reply, head_request, close, ctx.date);
            return Slot::Ready { bytes, close };
        }
    };
    let bodiless = head_request || parsed.status == 204 || parsed.status == 304;
    // HTTP/1.0 has no chunked coding: the body runs until the connection closes.
    let close = close || (http10 && !bodiless);
    let framing = match (bodiless, http10) {
        (true, _) => BodyFraming::None,
        (false, true) => BodyFraming::None,
        (false, false) => BodyFraming::Chunked,
    };
    let mut head = Vec::new();
    if http1::write_head(&mut head, parsed.status, parsed.headers(), framing, close, ctx.date).is_err() {
        close_stream(ctx.bridge, id);
        let reply = errors::invalid_handler_response("the handler returned an invalid header");
        head.clear();
        render_reply(&mut head, reply, head_request, close, ctx.date);
        return Slot::Ready { bytes: head, close };
    }
    if bodiless {
        close_stream(ctx.bridge, id);
        return Slot::Ready { bytes: head, close };
    }
    let first = frame.slice_ref(parsed.body);
    let mut chunks = VecDeque::new();
    if !first.is_empty() {
        chunks.push_back(first);
    }
    Slot::Stream(StreamSlot { id, state, head: Some(head), chunks, ended: false, chunked: !http10, close, uncredited: 0 })
}

/// Moves a stream's pending bytes into `wbuf` (within the write-ahead bound unless `all`),
/// granting credit as they go. True when the stream is complete.
fn write_stream(ctx: &Ctx<'_>, stream: &mut StreamSlot, wbuf: &mut Vec<u8>, wpos: usize, all: bool) -> bool {
    if let Some(head) = stream.head.take() {
        wbuf.extend_from_slice(&head);
    }
    let window = ctx.bridge.config.stream_window_bytes;
    while let Some(chunk) = stream.chunks.pop_front() {
        if !all && wbuf.len() - wpos >= STREAM_WRITE_AHEAD {
            stream.chunks.push_front(chunk);
            break;
        }
        if stream.chunked {
            http1::write_chunk(wbuf, &chunk);
        } else {
            wbuf.extend_from_slice(&chunk);
        }
        stream.uncredited += chunk.len();
        let buffered = stream.state.took(chunk.len());
        // Credit at half a window, or when nothing is left, so a producer waiting on credit is
        // never stranded.
        if stream.uncredited >= window / 2 || (buffered == 0 && stream.uncredited > 0) {
            ctx.bridge.publish_credit(stream.id, stream.uncredited as u32);
            stream.uncredited = 0;
        }
    }
    if stream.ended && stream.chunks.is_empty() {
        if stream.chunked {
            wbuf.extend_from_slice(http1::LAST_CHUNK);
        }
        return true;
    }
    false
}
