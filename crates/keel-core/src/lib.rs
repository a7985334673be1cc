//! Keel's core: everything that is pure logic, with no I/O.
//!
//! - [`ring`]: the request ring, many producers to one consumer, with parking.
//! - [`frame`]: the frame layout both sides of the ring agree on.
//! - [`envelope`]: the FlatBuffers request envelope.
//! - [`response`]: the response frames JS writes.
//! - [`router`]: (method, path) → endpoint id.

pub mod envelope;
pub mod fbs_read;
pub mod frame;
pub mod response;
pub mod ring;
pub mod router;
pub mod typed;
