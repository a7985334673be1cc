//! Typed endpoints: the schema model from the manifest, and the decoder that turns a request's
//! path, query, headers, cookies and JSON body into a validated FlatBuffers payload.
//! docs/TYPED-APIS.md is the contract.

mod decoder;
mod json;
mod query;
mod reader;
pub mod manifest;
pub mod model;
mod request;
pub mod rules;
mod scalar;

pub use decoder::{Scratch, ValidationError, MAX_DEPTH};
pub use request::{RequestDecoder, RequestParts};
