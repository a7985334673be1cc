//! One accepted connection: serve it with hyper, close it when idle, drain it on shutdown.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::conn::auto;
use tokio::net::TcpStream;
use tokio::sync::{watch, OwnedSemaphorePermit};
use tokio::time::Instant;

use crate::bridge::Bridge;
use crate::service;

/// Lifecycle of the whole server, broadcast to every connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Running,
    /// Finish in-flight requests, accept no new ones.
    Draining,
    /// Close everything now.
    Closing,
}

/// What a request needs to know about its connection.
pub struct ConnectionInfo {
    pub remote_addr: String,
    pub activity: Activity,
}

/// Tracks in-flight requests and the last time one started or ended, for the idle timeout.
pub struct Activity {
    epoch: Instant,
    last_millis: AtomicU64,
    in_flight: AtomicU32,
}

/// Marks a request in flight until dropped.
pub struct ActiveRequest<'a>(&'a Activity);

impl Drop for ActiveRequest<'_> {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Activity {
    fn new() -> Self {
        Self { epoch: Instant::now(), last_millis: AtomicU64::new(0), in_flight: AtomicU32::new(0) }
    }

    fn touch(&self) {
        self.last_millis.store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    pub fn begin(&self) -> ActiveRequest<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.touch();
        ActiveRequest(self)
    }

    /// When the connection becomes idle-expired if nothing happens meanwhile.
    fn idle_deadline(&self, idle: Duration) -> Instant {
        self.epoch + Duration::from_millis(self.last_millis.load(Ordering::Relaxed)) + idle
    }

    fn is_idle(&self, idle: Duration) -> bool {
        self.in_flight.load(Ordering::Relaxed) == 0 && Instant::now() >= self.idle_deadline(idle)
    }
}

pub fn http_builder(bridge: &Bridge) -> auto::Builder<hyper_util::rt::TokioExecutor> {
    let mut builder = auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(bridge.config.header_read_timeout())
        .keep_alive(true)
        .half_close(false)
        // Pipelined requests are still answered in order; but with pipeline_flush on, hyper
        // closes a connection that sent malformed HTTP without flushing its automatic 400.
        .pipeline_flush(false);
    builder.http2().timer(hyper_util::rt::TokioTimer::new());
    builder
}

pub async fn serve_connection(
    bridge: Arc<Bridge>,
    http: Arc<auto::Builder<hyper_util::rt::TokioExecutor>>,
    stream: TcpStream,
    remote: std::net::SocketAddr,
    _permit: OwnedSemaphorePermit,
    mut phase: watch::Receiver<Phase>,
) {
    let _ = stream.set_nodelay(true);
    let info = Arc::new(ConnectionInfo { remote_addr: remote.to_string(), activity: Activity::new() });
    let idle = bridge.config.idle_timeout();
    let service = {
        let info = info.clone();
        let bridge = bridge.clone();
        service_fn(move |request| service::serve(bridge.clone(), info.clone(), request))
    };
    let connection = http.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut draining = false;
    loop {
        tokio::select! {
            _ = connection.as_mut() => return,
            changed = phase.changed() => {
                let now = if changed.is_ok() { *phase.borrow_and_update() } else { Phase::Closing };
                match now {
                    Phase::Running => {}
                    Phase::Draining => {
                        if !draining {
                            connection.as_mut().graceful_shutdown();
                            draining = true;
                        }
                    }
                    // Dropping the connection closes the socket and cancels its requests.
                    Phase::Closing => return,
                }
            }
            _ = tokio::time::sleep_until(info.activity.idle_deadline(idle)), if !draining => {
                if info.activity.is_idle(idle) {
                    connection.as_mut().graceful_shutdown();
                    draining = true;
                }
            }
        }
    }
}
