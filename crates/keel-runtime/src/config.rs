//! The runtime config: JSON from the host, with defaults for every field.

use std::time::Duration;

use serde::Deserialize;

/// One route as the host declares it.
#[derive(Debug, Clone, Deserialize)]
pub struct RouteConfig {
    /// An HTTP method, or `"*"` for any.
    #[serde(default = "any_method")]
    pub method: String,
    pub path: String,
    /// The name of a typed endpoint in the manifest: requests are decoded and validated in
    /// Rust against its request type before JS sees them.
    #[serde(default)]
    pub typed: Option<String>,
}

fn any_method() -> String {
    "*".to_owned()
}

/// Which HTTP engine serves the connections (docs/ARCHITECTURE.md, "Engines").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// Event-loop threads with their own HTTP/1.1 (HTTP/2 handed to hyper). The default.
    Lean,
    /// tokio + hyper for every connection.
    Hyper,
}

/// Deploy-time settings (docs/ARCHITECTURE.md, "Runtime config").
#[derive(Debug, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    pub hostname: String,
    pub port: u16,
    /// I/O worker threads; 0 means one per core.
    pub threads: usize,
    pub engine: Engine,
    pub max_request_body_size: u64,
    pub header_read_timeout_ms: u64,
    pub idle_timeout_ms: u64,
    pub request_ring_bytes: usize,
    pub response_buffer_bytes: usize,
    pub inline_body_max: usize,
    pub max_inflight: usize,
    pub max_connections: usize,
    pub queue_timeout_ms: u64,
    pub retry_after_seconds: u32,
    /// Per streamed response: body bytes JS may send ahead of the socket.
    pub stream_window_bytes: usize,
    pub routes: Vec<RouteConfig>,
    pub fallback: bool,
    /// Path of the binary manifest made by `keel gen`; needed when a route is `typed`.
    pub manifest_path: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            hostname: "0.0.0.0".to_owned(),
            port: 3000,
            threads: 0,
            engine: Engine::Lean,
            max_request_body_size: 2 * 1024 * 1024,
            header_read_timeout_ms: 10_000,
            idle_timeout_ms: 10_000,
            // Small enough to stay in a core's L2 cache as it cycles (the I/O thread writes each
            // frame, the JS thread reads it: a cold line costs both), large enough for ~800
            // /schema-sized frames in flight. Anything too large for a frame is spilled.
            request_ring_bytes: 512 * 1024,
            response_buffer_bytes: 4 * 1024 * 1024,
            inline_body_max: 64 * 1024,
            max_inflight: 16_384,
            max_connections: 10_000,
            queue_timeout_ms: 5_000,
            retry_after_seconds: 1,
            stream_window_bytes: 256 * 1024,
            routes: Vec::new(),
            fallback: true,
            manifest_path: None,
        }
    }
}

/// A config that parsed but cannot be used; the message names the field and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Parses JSON and checks every bound.
    pub fn from_json(json: &[u8]) -> Result<Config, ConfigError> {
        let config: Config = serde_json::from_slice(json)
            .map_err(|e| ConfigError(format!("invalid runtime config: {e}")))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let at_least = |name: &str, value: u64, min: u64| {
            if value < min {
                Err(ConfigError(format!("{name} is {value}; it must be at least {min}")))
            } else {
                Ok(())
            }
        };
        at_least("requestRingBytes", self.request_ring_bytes as u64, 64 * 1024)?;
        at_least("responseBufferBytes", self.response_buffer_bytes as u64, 64 * 1024)?;
        at_least("maxInflight", self.max_inflight as u64, 1)?;
        at_least("streamWindowBytes", self.stream_window_bytes as u64, 1024)?;
        at_least("maxConnections", self.max_connections as u64, 1)?;
        at_least("headerReadTimeoutMs", self.header_read_timeout_ms, 1)?;
        at_least("idleTimeoutMs", self.idle_timeout_ms, 1)?;
        if self.request_ring_bytes > u32::MAX as usize / 2 {
            return Err(ConfigError("requestRingBytes must be below 2 GiB".into()));
        }
        if self.response_buffer_bytes > u32::MAX as usize / 2 {
            return Err(ConfigError("responseBufferBytes must be below 2 GiB".into()));
        }
        if self.max_request_body_size > u32::MAX as u64 {
            return Err(ConfigError("maxRequestBodySize must be below 4 GiB".into()));
        }
        if self.routes.iter().any(|r| r.typed.is_some()) && self.manifest_path.is_none() {
            return Err(ConfigError(
                "a route names a typed endpoint but manifestPath is not set; run `keel gen` and pass its manifest".into(),
            ));
        }
        if self.routes.is_empty() && !self.fallback {
            return Err(ConfigError(
                "no routes and no fallback: every request would be 404; add routes or set fallback".into(),
            ));
        }
        Ok(())
    }

    /// How long a connection may wait for a request head: the smaller of the two timeouts,
    /// because hyper runs one timer for both (see `connection::http_builder`).
    pub fn head_wait_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms.min(self.idle_timeout_ms))
    }

    /// How long a request body may go without a byte arriving before the request is answered
    /// 408 and the connection closed.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.idle_timeout_ms)
    }

    pub fn queue_timeout(&self) -> Duration {
        Duration::from_millis(self.queue_timeout_ms)
    }

    /// `threads`, or by default one per core less the one the JS thread needs (at least one):
    /// an I/O thread that shares the JS thread's core makes both switch back and forth under
    /// load (on 2 cores, one I/O thread served /hello ~1.3x faster than two, 2026-11-22).
    pub fn worker_threads(&self) -> usize {
        if self.threads > 0 {
            self.threads
        } else {
            default_worker_threads(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
        }
    }
}

fn default_worker_threads(cores: usize) -> usize {
    cores.saturating_sub(1).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_threads_leave_the_js_thread_a_core() {
        assert_eq!(default_worker_threads(1), 1);
        assert_eq!(default_worker_threads(2), 1);
        assert_eq!(default_worker_threads(8), 7);
    }

    #[test]
    fn empty_object_gives_defaults() {
        let config = Config::from_json(b"{}").unwrap();
        assert_eq!(config.port, 3000);
        assert_eq!(config.max_request_body_size, 2 * 1024 * 1024);
        assert!(config.fallback);
    }

    #[test]
    fn unknown_fields_and_bad_bounds_are_named() {
        let err = Config::from_json(br#"{"prot": 1}"#).unwrap_err();
        assert!(err.0.contains("prot"), "{err}");
        let err = Config::from_json(br#"{"requestRingBytes": 10}"#).unwrap_err();
        assert!(err.0.contains("requestRingBytes"), "{err}");
        let err = Config::from_json(br#"{"fallback": false}"#).unwrap_err();
        assert!(err.0.contains("no routes"), "{err}");
    }

    #[test]
    fn routes_default_to_any_method() {
        let config = Config::from_json(br#"{"routes":[{"path":"/a"},{"method":"GET","path":"/b"}]}"#).unwrap();
        assert_eq!(config.routes[0].method, "*");
        assert_eq!(config.routes[1].method, "GET");
    }
}
