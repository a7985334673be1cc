//! Reading request bodies under a size limit and an inactivity timeout.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;

pub enum ReadError {
    /// Over the limit: the unread rest of the body and how many bytes were read before.
    TooLarge(Incoming, u64),
    /// The client broke off or sent malformed chunking.
    Broken,
    /// Nothing arrived for the inactivity timeout.
    Stalled,
}

/// Reads the whole body, stopping as soon as it passes `limit` bytes or nothing arrives for
/// `idle`. A body that arrives in one frame is returned without a copy.
pub async fn read_limited(mut body: Incoming, limit: u64, idle: Duration) -> Result<Bytes, ReadError> {
    let mut first: Option<Bytes> = None;
    let mut joined: Option<BytesMut> = None;
    let mut total = 0u64;
    while let Some(frame) = tokio::time::timeout(idle, body.frame()).await.map_err(|_| ReadError::Stalled)? {
        let Ok(data) = frame.map_err(|_| ReadError::Broken)?.into_data() else {
            continue; // trailers carry nothing the application reads
        };
        total += data.len() as u64;
        if total > limit {
            return Err(ReadError::TooLarge(body, total));
        }
        match (&mut first, &mut joined) {
            (None, _) => first = Some(data),
            (Some(head), None) => {
                let mut buffer = BytesMut::with_capacity((head.len() + data.len()).max(16 * 1024));
                buffer.extend_from_slice(head);
                buffer.extend_from_slice(&data);
                joined = Some(buffer);
            }
            (Some(_), Some(buffer)) => buffer.extend_from_slice(&data),
        }
    }
    Ok(match (first, joined) {
        (_, Some(buffer)) => buffer.freeze(),
        (Some(only), None) => only,
        (None, None) => Bytes::new(),
    })
}

/// Reads and drops up to `budget` bytes; stops early at the end of the body or on an error.
pub async fn drain(mut body: Incoming, budget: u64) {
    let mut seen = 0u64;
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(data) = frame.into_data() {
            seen += data.len() as u64;
            if seen > budget {
                return;
            }
        }
    }
}
