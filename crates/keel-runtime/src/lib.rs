//! Keel's I/O shell: a tokio runtime running hyper, feeding requests into the ring that the JS
//! consumer drains, and completing connections with the responses JS commits.
//!
//! [`Runtime`] is the whole surface the FFI crate uses. Consumer methods (`poll`, `park`,
//! `spilled_body`, `commit`, `respond`) must be called from one thread at a time.

mod body;
mod bridge;
pub mod config;
mod connection;
mod doorbell;
mod errors;
mod lean;
mod pending;
mod publish;
mod server;
mod service;
mod streaming;
mod typed;

use std::ffi::CString;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use keel_core::response::FrameError;
use keel_core::ring::ConsumeError;
use keel_core::router::{RouteSpec, Router};
use tokio::sync::watch;

use crate::bridge::Bridge;
use crate::config::{Config, ConfigError, Engine};
use crate::connection::Phase;
use crate::doorbell::Doorbell;

/// Why a runtime could not start.
#[derive(Debug)]
pub enum OpenError {
    Config(ConfigError),
    Io(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Config(e) => e.fmt(f),
            OpenError::Io(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for OpenError {}

pub struct Runtime {
    tokio: Option<tokio::runtime::Runtime>,
    bridge: Arc<Bridge>,
    phase: watch::Sender<Phase>,
    port: u16,
    doorbell_path: CString,
    shutdown_started: AtomicBool,
    /// Disconnects when the accept loop has dropped the listening socket.
    listener_closed: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
    /// The lean engine's workers, when it serves.
    lean: std::sync::Mutex<Option<lean::LeanEngine>>,
}

fn resolve(hostname: &str, port: u16) -> Result<SocketAddr, OpenError> {
    (hostname, port)
        .to_socket_addrs()
        .map_err(|e| OpenError::Io(format!("cannot resolve hostname {hostname:?}: {e}")))?
        .next()
        .ok_or_else(|| OpenError::Io(format!("hostname {hostname:?} resolves to no address")))
}

impl Runtime {
    /// Parses the config, binds the listener and the doorbell, and starts the I/O threads.
    pub fn open(config_json: &[u8]) -> Result<Runtime, OpenError> {
        let config = Config::from_json(config_json).map_err(OpenError::Config)?;
        let routes: Vec<RouteSpec> = config
            .routes
            .iter()
            .map(|r| RouteSpec { method: r.method.clone(), path: r.path.clone() })
            .collect();
        let router = Router::new(&routes).map_err(|e| OpenError::Config(ConfigError(e.0)))?;
        let typed = typed::TypedEndpoints::load(&config).map_err(OpenError::Config)?;
        let address = resolve(&config.hostname, config.port)?;

        let engine = config.engine;
        let io_threads = config.worker_threads();
        // With the lean engine, tokio only runs housekeeping and HTTP/2: one thread is plenty,
        // named apart from the lean workers ("keel-io") so that `top -H` and profiles tell the
        // thread serving the sockets from the one that mostly sleeps.
        let (tokio_threads, tokio_name) = if engine == Engine::Lean { (1, "keel-rt") } else { (io_threads, "keel-io") };
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(tokio_threads)
            .thread_name(tokio_name)
            .enable_all()
            .build()
            .map_err(|e| OpenError::Io(format!("cannot start the I/O threads: {e}")))?;
        let _entered = tokio.enter();

        let listener = bind_listener(address)?;
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(config.port);
        let (doorbell, doorbell_listener) =
            Doorbell::bind().map_err(|e| OpenError::Io(format!("cannot create the doorbell socket: {e}")))?;
        let doorbell_path = CString::new(doorbell.path().to_string_lossy().into_owned())
            .map_err(|_| OpenError::Io("the temp directory path contains a NUL byte".into()))?;

        let bridge = Arc::new(Bridge::new(config, router, typed, doorbell));
        let http = Arc::new(connection::http_builder(&bridge));
        let (phase, phase_rx) = watch::channel(Phase::Running);
        {
            let bridge = bridge.clone();
            tokio.spawn(async move {
                // If JS never connects the runtime still serves; it just cannot wake JS.
                let _ = bridge.doorbell.accept(doorbell_listener).await;
            });
        }
        let (closed_tx, listener_closed) = std::sync::mpsc::sync_channel(0);
        let lean = match engine {
            Engine::Hyper => {
                tokio.spawn(server::accept_loop(bridge.clone(), http, listener, phase_rx, closed_tx));
                None
            }
            Engine::Lean => {
                let listener = listener
                    .into_std()
                    .map_err(|e| OpenError::Io(format!("cannot hand the listener to the I/O threads: {e}")))?;
                let handoff = lean::Handoff { runtime: tokio.handle().clone(), http, phase: phase_rx.clone() };
                let engine = lean::start(bridge.clone(), listener, io_threads, phase_rx, closed_tx, handoff)
                    .map_err(|e| OpenError::Io(format!("cannot start the I/O threads: {e}")))?;
                Some(engine)
            }
        };

        drop(_entered);
        Ok(Runtime {
            tokio: Some(tokio),
            bridge,
            phase,
            port,
            doorbell_path,
            shutdown_started: AtomicBool::new(false),
            listener_closed: std::sync::Mutex::new(listener_closed),
            lean: std::sync::Mutex::new(lean),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn request_ring(&self) -> (*mut u8, usize) {
        (self.bridge.ring.base_ptr(), self.bridge.ring.len_bytes())
    }

    pub fn response_buffer(&self) -> (*mut u8, usize) {
        (self.bridge.responses.as_ptr(), self.bridge.responses.len())
    }

    pub fn doorbell_path(&self) -> &CString {
        &self.doorbell_path
    }

    pub fn poll(&self, release: u32) -> Result<u32, ConsumeError> {
        self.bridge.poll(release)
    }

    /// True when parked (wait for the doorbell), false when work is ready.
    pub fn park(&self) -> bool {
        self.bridge.ring.try_park()
    }

    /// Address of the spilled body on the ready frame starting at `slot_index`.
    pub fn spilled_body(&self, slot_index: u32) -> Option<*const u8> {
        self.bridge.ring.attachment(slot_index as usize).map(|body| body.as_ptr())
    }

    pub fn commit(&self, used: u32) -> Result<u32, FrameError> {
        self.bridge.commit(used as usize)
    }

    pub fn respond(&self, frame: &[u8]) -> Result<u32, FrameError> {
        self.bridge.deliver_all(frame)
    }

    /// Starts a graceful shutdown; later calls do nothing. When this returns the listening
    /// socket is closed, so new connections are refused; in-flight requests carry on.
    pub fn shutdown(&self, grace: Duration) {
        if self.shutdown_started.swap(true, Ordering::SeqCst) {
            return;
        }
        let _ = self.phase.send(Phase::Draining);
        self.bridge.wake_lean();
        if let Some(tokio) = &self.tokio {
            tokio.spawn(server::shut_down(self.bridge.clone(), self.phase.clone(), grace));
            // The accept loop sees the phase change within one poll; the bound only guards
            // against a wedged runtime.
            if let Ok(closed) = self.listener_closed.lock() {
                let _ = closed.recv_timeout(Duration::from_secs(2));
            }
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let _ = self.phase.send(Phase::Closing);
        self.bridge.wake_lean();
        if let Some(lean) = self.lean.lock().ok().and_then(|mut l| l.take()) {
            lean.join(Duration::from_secs(2));
        }
        if let Some(tokio) = self.tokio.take() {
            tokio.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

fn bind_listener(address: SocketAddr) -> Result<tokio::net::TcpListener, OpenError> {
    let socket = if address.is_ipv4() { tokio::net::TcpSocket::new_v4() } else { tokio::net::TcpSocket::new_v6() }
        .map_err(|e| OpenError::Io(format!("cannot create a socket: {e}")))?;
    socket.set_reuseaddr(true).map_err(|e| OpenError::Io(format!("cannot set SO_REUSEADDR: {e}")))?;
    socket
        .bind(address)
        .map_err(|e| OpenError::Io(format!("cannot listen on {address}: {e}")))?;
    socket.listen(1024).map_err(|e| OpenError::Io(format!("cannot listen on {address}: {e}")))
}
