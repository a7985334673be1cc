//! The lean engine's event-loop threads. Each owns a clone of the listening socket, the
//! connections it accepted, and a mailbox for what JS commits.

use std::io::ErrorKind;
use std::cell::Cell;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token};
use tokio::sync::watch;

use super::conn::{close_stream, Conn, Ctx, Flow};
use super::handoff::Handoff;
use super::http1::DateCache;
use super::wake_js::DeferredRing;
use super::{ConnKey, Inbound, Mailbox};
use crate::bridge::Bridge;
use crate::connection::Phase;

const LISTENER: Token = Token(usize::MAX - 1);
const MAILBOX: Token = Token(usize::MAX - 2);

/// Workers are addressed by a bit in a u64 when a batch is delivered.
pub const MAX_WORKERS: usize = 64;

/// How long a worker with no deadline ahead sleeps before it looks again (a bound, not a
/// schedule: every deadline a connection sets lowers the wake-up through `Ctx::wake_by`).
const NOTHING_DUE: Duration = Duration::from_secs(3600);
/// How soon a worker at maxConnections looks for room to accept queued connections again.
const ACCEPT_RETRY: Duration = Duration::from_millis(10);

/// The running workers; dropping it does not stop them (the phase does).
pub struct LeanEngine {
    threads: Vec<JoinHandle<()>>,
}

impl LeanEngine {
    /// Waits (bounded) for the workers to exit after the phase became `Closing`.
    pub fn join(self, bound: Duration) {
        let until = Instant::now() + bound;
        for thread in self.threads {
            while !thread.is_finished() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(5));
            }
            if thread.is_finished() {
                let _ = thread.join();
            }
        }
    }
}

/// Starts `threads` workers on `listener`. Each holds a clone of `closed`, dropped with its
/// listener clone, so the receiver sees a disconnect once no worker listens any more.
pub fn start(
    bridge: Arc<Bridge>,
    listener: std::net::TcpListener,
    threads: usize,
    phase: watch::Receiver<Phase>,
    closed: std::sync::mpsc::SyncSender<()>,
    handoff: Handoff,
) -> std::io::Result<LeanEngine> {
    let threads = threads.clamp(1, MAX_WORKERS);
    listener.set_nonblocking(true)?;
    let mut workers = Vec::with_capacity(threads);
    let mut mailboxes = Vec::with_capacity(threads);
    for index in 0..threads {
        let poll = Poll::new()?;
        let mailbox = Arc::new(Mailbox::new(mio::Waker::new(poll.registry(), MAILBOX)?));
        let mut own = TcpListener::from_std(listener.try_clone()?);
        poll.registry().register(&mut own, LISTENER, Interest::READABLE)?;
        mailboxes.push(mailbox.clone());
        workers.push(Worker {
            index: index as u16,
            bridge: bridge.clone(),
            poll,
            listener: Some(own),
            closed: Some(closed.clone()),
            mailbox,
            phase: phase.clone(),
            conns: Vec::new(),
            free: Vec::new(),
            generations: Vec::new(),
            date: DateCache::new(),
            inbox: Vec::new(),
            dirty: Vec::new(),
            handoff: handoff.clone(),
            draining: false,
            next_tick: Cell::new(Instant::now() + NOTHING_DUE),
            wake_js: DeferredRing::default(),
            now: Instant::now(),
            accept_paused: false,
        });
    }
    drop(listener);
    drop(closed);
    if bridge.lean.set(mailboxes.into_boxed_slice()).is_err() {
        return Err(std::io::Error::other("the lean engine was started twice on one runtime"));
    }
    let mut handles = Vec::with_capacity(threads);
    for worker in workers {
        handles.push(std::thread::Builder::new().name("keel-io".into()).spawn(move || worker.run())?);
    }
    Ok(LeanEngine { threads: handles })
}

struct Worker {
    index: u16,
    bridge: Arc<Bridge>,
    poll: Poll,
    listener: Option<TcpListener>,
    closed: Option<std::sync::mpsc::SyncSender<()>>,
    mailbox: Arc<Mailbox>,
    phase: watch::Receiver<Phase>,
    /// Connections by token; `generations[i]` moves on each time slot `i` is freed.
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    generations: Vec<u32>,
    date: DateCache,
    inbox: Vec<(ConnKey, Inbound)>,
    /// Connections given answers in the current mailbox batch, to be written once each.
    dirty: Vec<usize>,
    handoff: Handoff,
    draining: bool,
    /// The earliest deadline of any connection (head timeout, end of a discard, a stall
    /// retry): the worker sleeps until then unless an event comes first. Idle, it never spins.
    next_tick: Cell<Instant>,
    /// A ring owed to a parked JS consumer (wake_js.rs).
    wake_js: DeferredRing,
    /// The time as of the last return from the poller: precise enough for timeouts.
    now: Instant,
    /// Accepting stopped at maxConnections; the next tick looks at the listener again.
    accept_paused: bool,
}

/// Runs `$body` with the connection at `$index` and a context borrowed from `$worker`'s other
/// fields, so that the connection and the context can be used together.
macro_rules! with_conn {
    ($worker:expr, $index:expr, |$conn:ident, $ctx:ident| $body:expr) => {{
        let $ctx = Ctx {
            bridge: &$worker.bridge,
            worker: $worker.index,
            date: &$worker.date,
            now: $worker.now,
            draining: $worker.draining,
            next_tick: &$worker.next_tick,
            wake_js: &$worker.wake_js,
        };
        match $worker.conns.get_mut($index).and_then(Option::as_mut) {
            Some($conn) => Some($body),
            None => None,
        }
    }};
}

impl Worker {
    fn run(mut self) {
        let mut events = Events::with_capacity(1024);
        loop {
            // Sleep only if nothing was posted; otherwise poll without waiting and take it.
            let timeout = if self.mailbox.prepare_to_sleep() { self.until_next_tick() } else { Duration::ZERO };
            let polled = self.wait(&mut events, timeout);
            self.mailbox.awake();
            if let Err(e) = polled {
                if e.kind() == ErrorKind::Interrupted {
                    continue;
                }
                break; // the poller itself failed: nothing more can be served from here
            }
            self.now = Instant::now();
            self.date.refresh();
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept_all(),
                    MAILBOX => {} // the flag below says it all
                    Token(index) => {
                        if event.is_readable() || event.is_read_closed() || event.is_error() {
                            let flow = with_conn!(self, index, |conn, ctx| conn.on_readable(&ctx));
                            self.settle(index, flow);
                        }
                        if event.is_writable() {
                            self.write(index);
                        }
                    }
                }
            }
            if self.mailbox.has_posts() {
                self.drain_mailbox();
            }
            let running = self.follow_phase();
            if running && self.now >= self.next_tick.get() {
                self.tick();
            }
            self.wake_js.end_of_turn(self.now, || self.bridge.doorbell.ring());
            if !running {
                self.wake_js.before_sleep(|| self.bridge.doorbell.ring());
                return;
            }
        }
    }

    /// Waits up to `timeout` for events. With a ring owed to JS (wake_js.rs) and a wait ahead,
    /// it first looks without waiting: events found are served before JS is woken; only when
    /// nothing is ready does it ring, then block.
    fn wait(&mut self, events: &mut Events, timeout: Duration) -> std::io::Result<()> {
        if self.wake_js.owed() && !timeout.is_zero() {
            self.poll.poll(events, Some(Duration::ZERO))?;
            if !events.is_empty() {
                return Ok(());
            }
            self.wake_js.before_sleep(|| self.bridge.doorbell.ring());
        }
        self.poll.poll(events, Some(timeout))
    }

    /// How long the poller may sleep. mio rounds a timeout up to whole milliseconds, so a
    /// deadline is never polled early into a busy loop.
    fn until_next_tick(&self) -> Duration {
        self.next_tick.get().saturating_duration_since(self.now)
    }

    /// Accepts every queued connection there is room for. At maxConnections the rest stay in
    /// the listen backlog, as with hyper's accept loop, and are looked for again after
    /// ACCEPT_RETRY (the listener is edge-triggered: no new event comes for connections
    /// already queued).
    fn accept_all(&mut self) {
        self.accept_paused = false;
        loop {
            let Some(listener) = &self.listener else { return };
            let Ok(permit) = self.bridge.connections.clone().try_acquire_owned() else {
                self.accept_paused = true;
                self.next_tick.set(self.next_tick.get().min(self.now + ACCEPT_RETRY));
                return;
            };
            match listener.accept() {
                Ok((mut socket, remote)) => {
                    let _ = socket.set_nodelay(true);
                    let index = match self.free.pop() {
                        Some(index) => index,
                        None => {
                            self.conns.push(None);
                            self.generations.push(0);
                            self.conns.len() - 1
                        }
                    };
                    let interest = Interest::READABLE | Interest::WRITABLE;
                    if self.poll.registry().register(&mut socket, Token(index), interest).is_err() {
                        self.free.push(index);
                        continue;
                    }
                    let key = ConnKey { index: index as u32, generation: self.generations[index] };
                    let ctx = Ctx {
                        bridge: &self.bridge,
                        worker: self.index,
                        date: &self.date,
                        now: self.now,
                        draining: self.draining,
                        next_tick: &self.next_tick,
                        wake_js: &self.wake_js,
                    };
                    self.conns[index] = Some(Conn::new(key, socket, remote, permit, &ctx));
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                // A connection reset before it was accepted, or out of descriptors: skip it;
                // the next readiness event retries.
                Err(e) if e.kind() == ErrorKind::Interrupted || e.kind() == ErrorKind::ConnectionAborted => {}
                Err(_) => return,
            }
        }
    }

    /// Acts on what a connection asked for after an event; `Keep` also flushes.
    fn settle(&mut self, index: usize, flow: Option<Flow>) {
        match flow {
            None => {}
            Some(Flow::Keep) => self.write(index),
            Some(Flow::Close) => self.close(index),
            Some(Flow::HandOff) => self.hand_off(index),
        }
    }

    /// Writes what a connection has, and lets it take more requests if that made room.
    fn write(&mut self, index: usize) {
        let flow = with_conn!(self, index, |conn, ctx| conn.write_out(&ctx));
        if matches!(flow, Some(Flow::Close) | Some(Flow::HandOff)) {
            self.settle(index, flow);
        }
    }

    fn close(&mut self, index: usize) {
        let Some(mut conn) = self.conns.get_mut(index).and_then(Option::take) else { return };
        conn.abandon_all(&self.bridge);
        let _ = self.poll.registry().deregister(&mut conn.socket);
        drop(conn); // closes the socket and returns the connection permit
        self.release(index);
    }

    fn release(&mut self, index: usize) {
        self.generations[index] = self.generations[index].wrapping_add(1);
        self.free.push(index);
    }

    fn hand_off(&mut self, index: usize) {
        let Some(mut conn) = self.conns.get_mut(index).and_then(Option::take) else { return };
        let _ = self.poll.registry().deregister(&mut conn.socket);
        let prefix = conn.take_unparsed();
        self.handoff.serve_http2(&self.bridge, conn, prefix);
        self.release(index);
    }

    fn drain_mailbox(&mut self) {
        let mut inbox = std::mem::take(&mut self.inbox);
        self.mailbox.take(&mut inbox);
        for (key, event) in inbox.drain(..) {
            let index = key.index as usize;
            let live = self.generations.get(index) == Some(&key.generation) && self.conns[index].is_some();
            if !live {
                // The connection is gone; a stream opened for it must be stopped.
                if let Inbound::StreamHead { id, .. } = event {
                    close_stream(&self.bridge, id);
                }
                continue;
            }
            let flow = with_conn!(self, index, |conn, ctx| conn.deliver(&ctx, event));
            match flow {
                Some(Flow::Close) => self.close(index),
                _ => self.mark_dirty(index),
            }
        }
        self.inbox = inbox;
        self.flush_dirty();
    }

    fn mark_dirty(&mut self, index: usize) {
        if let Some(Some(conn)) = self.conns.get_mut(index) {
            if !conn.dirty {
                conn.dirty = true;
                self.dirty.push(index);
            }
        }
    }

    /// One write per connection per batch, however many answers the batch brought it.
    fn flush_dirty(&mut self) {
        let dirty = std::mem::take(&mut self.dirty);
        for &index in &dirty {
            if let Some(Some(conn)) = self.conns.get_mut(index) {
                conn.dirty = false;
                self.write(index);
            }
        }
        self.dirty = dirty;
        self.dirty.clear();
    }

    /// Applies the server's phase. False when the worker must exit.
    fn follow_phase(&mut self) -> bool {
        let phase = *self.phase.borrow();
        match phase {
            Phase::Running => true,
            Phase::Draining => {
                if !self.draining {
                    self.draining = true;
                    self.stop_listening();
                    self.tick();
                }
                true
            }
            Phase::Closing => {
                self.stop_listening();
                for index in 0..self.conns.len() {
                    self.close(index);
                }
                false
            }
        }
    }

    fn stop_listening(&mut self) {
        if let Some(mut listener) = self.listener.take() {
            let _ = self.poll.registry().deregister(&mut listener);
        }
        self.closed.take();
    }

    /// Applies every connection's due deadlines, then sleeps until the next one.
    fn tick(&mut self) {
        self.next_tick.set(self.now + NOTHING_DUE);
        if self.accept_paused {
            self.accept_all();
        }
        for index in 0..self.conns.len() {
            let flow = with_conn!(self, index, |conn, ctx| conn.tick(&ctx));
            self.settle(index, flow);
        }
        let now = self.now;
        let next = self.conns.iter().flatten().filter_map(|conn| conn.next_deadline(now)).min();
        if let Some(next) = next {
            self.next_tick.set(self.next_tick.get().min(next));
        }
    }
}
