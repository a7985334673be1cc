//! Streamed responses: a body that JS produces over time, with credit-based flow control
//! (docs/ARCHITECTURE.md, "Streamed responses").
//!
//! The JS thread registers a stream when it commits the stream's head frame, so that chunk
//! frames committed in the same batch already find it; chunks go to the connection task through
//! an unbounded channel whose content is bounded by the credit window (a stream that overruns
//! it is ended). The connection's hyper body ([`ChunkStream`]) counts what the socket took and
//! publishes CREDIT frames; if it is dropped before the end (client gone) it publishes CANCEL.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Frame, SizeHint};
use keel_core::frame::{FrameKind, RequestId};
use tokio::sync::mpsc;

use crate::bridge::Bridge;
use crate::lean::{Inbound, LoopAddress};

/// Shared between the table entry (JS thread) and the body (connection thread).
pub struct StreamState {
    /// Body bytes sent by JS and not yet taken by the socket.
    buffered: AtomicUsize,
    /// Set when the stream overran its window or JS aborted it; the body then fails, so the
    /// connection closes and the client sees a truncated response.
    failed: AtomicBool,
}

impl StreamState {
    fn new(first: usize) -> Arc<StreamState> {
        Arc::new(StreamState { buffered: AtomicUsize::new(first), failed: AtomicBool::new(false) })
    }

    /// Accounts for `taken` bytes handed to the socket; returns the bytes still buffered.
    pub fn took(&self, taken: usize) -> usize {
        self.buffered.fetch_sub(taken, Ordering::AcqRel) - taken
    }
}

/// Where a stream's chunks go.
enum Sink {
    /// A hyper body, through a channel.
    Channel(mpsc::UnboundedSender<Bytes>),
    /// A lean-engine connection, through its worker's inbox.
    Loop(LoopAddress),
}

struct Entry {
    sink: Sink,
    state: Arc<StreamState>,
}

/// What the lean engine must be told about a push or an abort (the bridge delivers it).
pub struct LoopNotice {
    pub at: LoopAddress,
    pub event: Inbound,
}

/// Open streams by request id. Touched by the JS thread (register, push) and by connection
/// threads (a body dropped early removes its entry).
#[derive(Default)]
pub struct StreamTable {
    entries: Mutex<HashMap<u64, Entry>>,
}

fn lock(table: &StreamTable) -> std::sync::MutexGuard<'_, HashMap<u64, Entry>> {
    // Each critical section is one map operation; a panic cannot leave it half done.
    table.entries.lock().unwrap_or_else(|p| p.into_inner())
}

impl StreamTable {
    /// Opens a stream for `id` whose first bytes are `first`; returns the body to send.
    pub fn open(&self, bridge: &Arc<Bridge>, id: RequestId, first: Bytes, window: usize) -> ChunkStream {
        let (chunks, receiver) = mpsc::unbounded_channel();
        let state = StreamState::new(first.len());
        lock(self).insert(id.to_u64(), Entry { sink: Sink::Channel(chunks), state: state.clone() });
        ChunkStream {
            bridge: Arc::downgrade(bridge),
            id,
            first: (!first.is_empty()).then_some(first),
            receiver,
            state,
            window,
            uncredited: 0,
            finished: false,
        }
    }

    /// Opens a stream of a lean-engine connection; the worker keeps the returned state to
    /// account for what its socket takes.
    pub fn open_loop(&self, id: RequestId, at: LoopAddress, first: usize) -> Arc<StreamState> {
        let state = StreamState::new(first);
        lock(self).insert(id.to_u64(), Entry { sink: Sink::Loop(at), state: state.clone() });
        state
    }

    /// Appends bytes to stream `id`; `last` ends it. Chunks for unknown ids (a stream already
    /// cancelled or ended) are dropped, like any late response. For a lean-engine stream the
    /// chunk is returned, addressed, for the caller to deliver.
    pub fn push(&self, id: RequestId, chunk: Bytes, last: bool, window: usize) -> Option<LoopNotice> {
        let mut entries = lock(self);
        let entry = entries.get(&id.to_u64())?;
        let buffered = entry.state.buffered.fetch_add(chunk.len(), Ordering::AcqRel) + chunk.len();
        if buffered > 2 * window {
            // JS ignored its credit: end the stream as failed rather than buffer without bound.
            entry.state.failed.store(true, Ordering::Release);
            let entry = entries.remove(&id.to_u64())?;
            return match entry.sink {
                Sink::Loop(at) => Some(LoopNotice { at, event: Inbound::Abort { id } }),
                Sink::Channel(_) => None,
            };
        }
        let notice = match &entry.sink {
            Sink::Channel(chunks) => {
                if !chunk.is_empty() && chunks.send(chunk).is_err() {
                    entries.remove(&id.to_u64());
                    return None;
                }
                None
            }
            Sink::Loop(at) => Some(LoopNotice { at: *at, event: Inbound::Chunk { id, bytes: chunk, last } }),
        };
        if last {
            // Dropping a channel sender ends its body once the queued chunks are taken.
            entries.remove(&id.to_u64());
        }
        notice
    }

    /// Fails stream `id`: the producer broke after the head went out.
    pub fn abort(&self, id: RequestId) -> Option<LoopNotice> {
        let entry = lock(self).remove(&id.to_u64())?;
        entry.state.failed.store(true, Ordering::Release);
        match entry.sink {
            Sink::Loop(at) => Some(LoopNotice { at, event: Inbound::Abort { id } }),
            Sink::Channel(_) => None,
        }
    }

    /// Forgets stream `id` (its body was dropped, or its connection closed).
    pub fn close(&self, id: RequestId) -> bool {
        lock(self).remove(&id.to_u64()).is_some()
    }
}

/// The hyper body of a streamed response.
pub struct ChunkStream {
    bridge: Weak<Bridge>,
    id: RequestId,
    first: Option<Bytes>,
    receiver: mpsc::UnboundedReceiver<Bytes>,
    state: Arc<StreamState>,
    window: usize,
    /// Bytes taken by the socket since the last CREDIT.
    uncredited: usize,
    finished: bool,
}

/// A stream that failed (JS aborted it, or it overran its window): hyper closes the connection
/// on a body error.
#[derive(Debug)]
pub struct StreamFailed;

impl std::fmt::Display for StreamFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the handler's response stream failed or overran its flow-control window")
    }
}

impl std::error::Error for StreamFailed {}

impl ChunkStream {
    /// Accounts for `taken` bytes handed to hyper; publishes CREDIT at half a window, or when
    /// nothing more is buffered (so a producer waiting on credit is never stranded).
    fn took(&mut self, taken: usize) {
        self.uncredited += taken;
        let buffered = self.state.took(taken);
        if self.uncredited >= self.window / 2 || (buffered == 0 && self.uncredited > 0) {
            if let Some(bridge) = self.bridge.upgrade() {
                bridge.publish_credit(self.id, self.uncredited as u32);
            }
            self.uncredited = 0;
        }
    }
}

impl hyper::body::Body for ChunkStream {
    type Data = Bytes;
    type Error = StreamFailed;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, StreamFailed>>> {
        let this = &mut *self;
        if let Some(first) = this.first.take() {
            this.took(first.len());
            return Poll::Ready(Some(Ok(Frame::data(first))));
        }
        match this.receiver.poll_recv(cx) {
            Poll::Ready(Some(chunk)) => {
                this.took(chunk.len());
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
            Poll::Ready(None) => {
                this.finished = true;
                if this.state.failed.load(Ordering::Acquire) {
                    Poll::Ready(Some(Err(StreamFailed)))
                } else {
                    Poll::Ready(None)
                }
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.finished
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

impl Drop for ChunkStream {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // Dropped before its end: the client left (or the runtime is closing). Tell JS to
        // cancel the producer, if the stream was still open on its side.
        if let Some(bridge) = self.bridge.upgrade() {
            if bridge.streams.close(self.id) {
                bridge.publish_detached(FrameKind::Cancel, self.id, 0);
            }
        }
    }
}
