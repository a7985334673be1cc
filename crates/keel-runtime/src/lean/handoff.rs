//! HTTP/2 connections found by the lean engine go to the hyper engine on the tokio runtime.

use std::io::IoSlice;
use std::os::fd::{FromRawFd, IntoRawFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;

use super::conn::Conn;
use crate::bridge::Bridge;
use crate::connection::{serve_connection, Phase};

/// What a worker needs to give a connection to hyper.
#[derive(Clone)]
pub struct Handoff {
    pub runtime: tokio::runtime::Handle,
    pub http: Arc<auto::Builder<hyper_util::rt::TokioExecutor>>,
    pub phase: watch::Receiver<Phase>,
}

impl Handoff {
    /// Serves `conn` with hyper from here on; `prefix` is what the worker already read.
    pub fn serve_http2(&self, bridge: &Arc<Bridge>, conn: Conn, prefix: Vec<u8>) {
        let (socket, remote, permit) = conn.into_parts();
        // SAFETY: `into_raw_fd` gives up mio's ownership of the descriptor, and `from_raw_fd`
        // takes it over: exactly one owner holds it at any time.
        let socket = unsafe { std::net::TcpStream::from_raw_fd(socket.into_raw_fd()) };
        let (bridge, http, phase) = (bridge.clone(), self.http.clone(), self.phase.clone());
        self.runtime.spawn(async move {
            // The socket is already non-blocking (mio made it so).
            let Ok(stream) = tokio::net::TcpStream::from_std(socket) else { return };
            let io = Rewind { prefix, read: 0, stream };
            serve_connection(bridge, http, io, remote, permit, phase).await;
        });
    }
}

/// A stream that first replays bytes already read from it.
struct Rewind {
    prefix: Vec<u8>,
    read: usize,
    stream: tokio::net::TcpStream,
}

impl AsyncRead for Rewind {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if this.read < this.prefix.len() {
            let take = (this.prefix.len() - this.read).min(buf.remaining());
            buf.put_slice(&this.prefix[this.read..this.read + take]);
            this.read += take;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Rewind {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[IoSlice<'_>]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
