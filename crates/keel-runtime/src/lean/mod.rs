//! The lean engine: HTTP/1.1 served by a few event-loop threads (mio + httparse), one per core.
//!
//! Why a second engine: with hyper on tokio, every answer JS commits wakes its connection's
//! task from a foreign thread, and the task machinery around each request costs the I/O
//! threads more than the socket work itself (docs/ARCHITECTURE.md, "Engines"). Here each
//! worker owns its connections outright: it parses requests in its read buffer and publishes
//! them to the ring, and JS's committed answers reach it through a mailbox that is woken once
//! per batch, not once per request. Answers are written straight from the response frames.
//!
//! HTTP/2 (prior knowledge) connections are handed to the hyper engine on the tokio runtime,
//! which keeps running beside the workers for that and for the runtime's housekeeping.

mod conn;
mod handoff;
mod http1;
mod read_buf;
mod wake_js;
mod worker;

/// The one Transfer-Encoding both engines accept (the hyper engine checks it in service.rs).
pub(crate) use http1::{is_only_chunked, UNSUPPORTED_TRANSFER_ENCODING};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use keel_core::frame::RequestId;

use crate::streaming::StreamState;

pub use handoff::Handoff;
pub use worker::{start, LeanEngine};

/// Names one connection of one worker; the generation tells a reused slot from the old one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnKey {
    pub index: u32,
    pub generation: u32,
}

/// Where a request's answer must go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopAddress {
    pub worker: u16,
    pub conn: ConnKey,
}

/// What the JS thread hands a worker.
pub enum Inbound {
    /// A whole response frame for request `id`.
    Answer { id: RequestId, frame: Bytes },
    /// The head frame of a streamed response (with its first body bytes).
    StreamHead { id: RequestId, frame: Bytes, state: Arc<StreamState> },
    /// More of a stream's body; `last` ends it.
    Chunk { id: RequestId, bytes: Bytes, last: bool },
    /// The stream failed (the producer broke, or it overran its window): close the connection.
    Abort { id: RequestId },
}

/// A worker's inbox. Posting is cheap; [`wake`](Mailbox::wake) costs a syscall only when the
/// worker is asleep in its poller and has not been woken since.
///
/// No lost wake-up: the worker sets `sleeping` and then checks `posted` before it polls; a
/// poster sets `posted` and then checks `sleeping`. With both orders SeqCst, at least one of
/// them sees the other's write: either the worker finds the post, or the poster wakes it.
pub struct Mailbox {
    queue: Mutex<Vec<(ConnKey, Inbound)>>,
    waker: mio::Waker,
    /// Something was posted since the worker last took the queue (or the phase changed).
    posted: AtomicBool,
    /// The worker is in (or about to enter) its poller's wait.
    sleeping: AtomicBool,
    /// A wake was sent and the worker has not taken the queue since.
    woken: AtomicBool,
}

impl Mailbox {
    fn new(waker: mio::Waker) -> Mailbox {
        Mailbox {
            queue: Mutex::new(Vec::new()),
            waker,
            posted: AtomicBool::new(false),
            sleeping: AtomicBool::new(false),
            woken: AtomicBool::new(false),
        }
    }

    /// Moves everything in `posts` into the inbox with one lock (the JS thread posts a commit's
    /// answers together; the worker locks the same queue to take them).
    pub fn post_all(&self, posts: &mut Vec<(ConnKey, Inbound)>) {
        let mut queue = lock(&self.queue);
        if queue.is_empty() {
            std::mem::swap(&mut *queue, posts);
        } else {
            queue.append(posts);
        }
    }

    /// Makes sure the worker will look at its inbox (and at the server's phase) soon: at
    /// once if it sleeps, else before it next sleeps.
    pub fn wake(&self) {
        self.posted.store(true, Ordering::SeqCst);
        if self.sleeping.load(Ordering::SeqCst) && !self.woken.swap(true, Ordering::AcqRel) {
            // A failed wake means the poller is gone: the worker has exited, nothing to do.
            let _ = self.waker.wake();
        }
    }

    /// The worker is about to wait in its poller. False when something was posted meanwhile:
    /// it must not sleep but take the queue.
    fn prepare_to_sleep(&self) -> bool {
        self.sleeping.store(true, Ordering::SeqCst);
        if self.posted.load(Ordering::SeqCst) {
            self.sleeping.store(false, Ordering::Relaxed);
            return false;
        }
        true
    }

    fn awake(&self) {
        self.sleeping.store(false, Ordering::Relaxed);
    }

    /// True when there may be something to take.
    fn has_posts(&self) -> bool {
        self.posted.load(Ordering::Acquire)
    }

    /// Takes everything posted so far. Clearing the flags first means a post that this take
    /// misses sets them again (and wakes the worker if it sleeps by then).
    fn take(&self, into: &mut Vec<(ConnKey, Inbound)>) {
        self.posted.store(false, Ordering::SeqCst);
        self.woken.store(false, Ordering::SeqCst);
        std::mem::swap(into, &mut *lock(&self.queue));
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every critical section is one push or one swap: a panic cannot leave it half done.
    m.lock().unwrap_or_else(|p| p.into_inner())
}
