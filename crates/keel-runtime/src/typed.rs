//! Typed endpoints: the manifest loaded at start-up, which route is which typed endpoint, and a
//! per-thread pool of decoder buffers.

use std::cell::Cell;

use keel_core::typed::manifest;
use keel_core::typed::model::{Schema, TypeId};
use keel_core::typed::Scratch;

use crate::config::{Config, ConfigError};

/// What the runtime knows about each endpoint id (index 0 is the fetch fallback).
pub struct TypedEndpoints {
    pub schema: Schema,
    /// For each endpoint id: `Some(request type)` when it is typed and takes a request.
    request_types: Vec<Option<TypeId>>,
}

impl TypedEndpoints {
    /// Loads the manifest named by the config and matches the config's typed routes to it.
    pub fn load(config: &Config) -> Result<Option<TypedEndpoints>, ConfigError> {
        let Some(path) = &config.manifest_path else { return Ok(None) };
        let bytes = std::fs::read(path)
            .map_err(|e| ConfigError(format!("cannot read the manifest {path:?}: {e}; run `keel gen` to create it")))?;
        let schema = manifest::load(&bytes).map_err(|e| ConfigError(format!("{path}: {e}")))?;
        let mut request_types = vec![None];
        for route in &config.routes {
            let Some(name) = &route.typed else {
                request_types.push(None);
                continue;
            };
            let endpoint = schema.endpoints.iter().find(|e| &e.name == name).ok_or_else(|| {
                ConfigError(format!("route {} {} names typed endpoint {name:?}, which {path} does not have; is the manifest stale? run `keel gen`", route.method, route.path))
            })?;
            if endpoint.path != route.path || !endpoint.method.eq_ignore_ascii_case(&route.method) {
                return Err(ConfigError(format!(
                    "typed endpoint {name:?} is {} {} in the manifest but {} {} in the route table; run `keel gen`",
                    endpoint.method, endpoint.path, route.method, route.path
                )));
            }
            request_types.push(endpoint.request);
        }
        Ok(Some(TypedEndpoints { schema, request_types }))
    }

    pub fn request_type(&self, endpoint: u32) -> Option<TypeId> {
        self.request_types.get(endpoint as usize).copied().flatten()
    }
}

thread_local! {
    static SCRATCH: Cell<Option<Scratch>> = const { Cell::new(None) };
}

/// Decoder buffers for this thread (warm after the first request).
pub fn take_scratch() -> Scratch {
    SCRATCH.with(|s| s.take()).unwrap_or_default()
}

/// Returns buffers for the next request on whatever thread this task now runs on.
pub fn give_back(scratch: Scratch) {
    SCRATCH.with(|s| s.set(Some(scratch)));
}
