//! The doorbell: one byte on a Unix stream socket tells a parked JS consumer to drain.
//!
//! JS connects once to `path`; the runtime accepts that single connection, unlinks the path,
//! and writes one byte at once so that a consumer that parked before the connection existed
//! is woken. Later rings write one byte each; the ring protocol guarantees at most one ring per
//! park, so the socket buffer never fills.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

pub struct Doorbell {
    path: PathBuf,
    stream: OnceLock<UnixStream>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

impl Doorbell {
    /// Binds the listening socket in the temp directory and returns it with the bell.
    pub fn bind() -> std::io::Result<(Doorbell, tokio::net::UnixListener)> {
        let unique = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!("keel-{}-{unique}-{nanos:x}.sock", std::process::id());
        let path = std::env::temp_dir().join(name);
        let listener = std::os::unix::net::UnixListener::bind(&path)?;
        listener.set_nonblocking(true)?;
        Ok((Doorbell { path, stream: OnceLock::new() }, tokio::net::UnixListener::from_std(listener)?))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Waits for the consumer's one connection, keeps it, and rings once.
    pub async fn accept(&self, listener: tokio::net::UnixListener) -> std::io::Result<()> {
        let (stream, _) = listener.accept().await?;
        drop(listener);
        let _ = std::fs::remove_file(&self.path);
        let stream = stream.into_std()?;
        stream.set_nonblocking(true)?;
        let _ = self.stream.set(stream);
        self.ring();
        Ok(())
    }

    /// Wakes the consumer. Before it has connected this does nothing: the byte written on
    /// accept covers any park that happened earlier.
    pub fn ring(&self) {
        if let Some(stream) = self.stream.get() {
            // A failed or short write means the consumer is gone or already has unread bytes;
            // either way there is nothing more useful to do.
            let _ = (&*stream).write(&[1]);
        }
    }
}

impl Drop for Doorbell {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
