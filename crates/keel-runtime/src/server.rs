//! The accept loop and graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use hyper_util::server::conn::auto;
use keel_core::frame::{FrameKind, RequestId};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::bridge::Bridge;
use crate::connection::{serve_connection, Phase};

/// Accepts connections until the phase leaves `Running`; then the listener is dropped, so new
/// connections are refused by the kernel. `closed` is dropped right after the listener, which
/// tells [`Runtime::shutdown`](crate::Runtime::shutdown) that refusing has begun.
pub async fn accept_loop(
    bridge: Arc<Bridge>,
    http: Arc<auto::Builder<hyper_util::rt::TokioExecutor>>,
    listener: TcpListener,
    mut phase: watch::Receiver<Phase>,
    closed: std::sync::mpsc::SyncSender<()>,
) {
    accept_until_shutdown(bridge, http, &listener, &mut phase).await;
    drop(listener);
    drop(closed);
}

async fn accept_until_shutdown(
    bridge: Arc<Bridge>,
    http: Arc<auto::Builder<hyper_util::rt::TokioExecutor>>,
    listener: &TcpListener,
    phase: &mut watch::Receiver<Phase>,
) {
    loop {
        let permit = tokio::select! {
            permit = bridge.connections.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return,
            },
            _ = phase.wait_for(|p| *p != Phase::Running) => return,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = phase.wait_for(|p| *p != Phase::Running) => return,
        };
        match accepted {
            Ok((stream, remote)) => {
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve_connection(bridge.clone(), http.clone(), stream, remote, permit, phase.clone()));
            }
            // Out of file descriptors or a connection reset before accept: back off briefly
            // rather than spin, and keep serving.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// Waits for connections to drain (the caller has set the phase to Draining), force-closes
/// them after `grace`, then publishes the SHUTDOWN frame.
pub async fn shut_down(bridge: Arc<Bridge>, phase: watch::Sender<Phase>, grace: Duration) {
    let all = bridge.config.max_connections as u32;
    let drained = tokio::time::timeout(grace, bridge.connections.acquire_many(all)).await;
    if drained.is_err() {
        let _ = phase.send(Phase::Closing);
        bridge.wake_lean();
        // Closing is immediate for every task; this bound only guards against a stuck one.
        let _ = tokio::time::timeout(Duration::from_secs(5), bridge.connections.acquire_many(all)).await;
    }
    bridge.publish_control(FrameKind::Shutdown, RequestId { index: 0, generation: 0 }, 0).await;
}
