//! One accepted connection: serve it with hyper, close it when idle, drain it on shutdown.

use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::conn::auto;
use tokio::sync::{watch, OwnedSemaphorePermit};

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
}

pub fn http_builder(bridge: &Bridge) -> auto::Builder<hyper_util::rt::TokioExecutor> {
    let mut builder = auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        // hyper runs this timer whenever it waits for a request head: on a new connection, and
        // between requests on a keep-alive one. It is both Keel timeouts at once.
        .header_read_timeout(bridge.config.head_wait_timeout())
        .keep_alive(true)
        .half_close(false)
        // Pipelined requests are still answered in order; but with pipeline_flush on, hyper
        // closes a connection that sent malformed HTTP without flushing its automatic 400.
        .pipeline_flush(false);
    builder.http2().timer(hyper_util::rt::TokioTimer::new());
    builder
}

/// Serves one connection until it closes, drains it when the server starts draining, and
/// drops it (closing the socket, cancelling its requests) when the server closes.
pub async fn serve_connection<I>(
    bridge: Arc<Bridge>,
    http: Arc<auto::Builder<hyper_util::rt::TokioExecutor>>,
    stream: I,
    remote: std::net::SocketAddr,
    _permit: OwnedSemaphorePermit,
    mut phase: watch::Receiver<Phase>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let info = Arc::new(ConnectionInfo { remote_addr: remote.to_string() });
    let service = {
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
                    Phase::Closing => return,
                }
            }
        }
    }
}
