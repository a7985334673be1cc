//! Responses Rust sends on its own, in the JSON error shape `{code, message, details}`.

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::{Either, Full};

use crate::streaming::ChunkStream;

/// A response body: whole, or streamed by the handler.
pub type Body = Either<Full<Bytes>, ChunkStream>;
pub type Reply = Response<Body>;

pub fn whole(bytes: Bytes) -> Body {
    Either::Left(Full::new(bytes))
}

/// The error shape, its fields in the order DESIGN.md gives and the validator's 400s use (a
/// `json!` object would sort them, putting `details` before `message`).
#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<serde_json::Value>,
}

/// Builds `{"code":…,"message":…,"details":…}` with the given status.
pub fn json_error(status: StatusCode, code: &str, message: &str, details: Option<serde_json::Value>) -> Reply {
    let body = ErrorBody { code, message, details };
    // Strings and a JSON value always serialize; the fallback keeps this free of any panic path.
    let json = serde_json::to_string(&body).unwrap_or_else(|_| format!(r#"{{"code":"{code}"}}"#));
    let mut response = Response::new(whole(Bytes::from(json)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

pub fn not_found(method: &str, path: &str) -> Reply {
    json_error(StatusCode::NOT_FOUND, "not_found", &format!("no route for {method} {path}"), None)
}

pub fn method_not_allowed(method: &str, path: &str, allow: &[String]) -> Reply {
    let mut response = json_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "unimplemented",
        &format!("{method} is not allowed on {path}"),
        Some(serde_json::json!({ "allow": allow })),
    );
    if let Ok(value) = HeaderValue::from_str(&allow.join(", ")) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// Marks `response` as the connection's last (the lean engine closes after such answers anyway;
/// hyper needs the header).
fn closing(mut response: Reply) -> Reply {
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// 413; the connection is closed after it, since the rest of the body was not read.
pub fn body_too_large(limit: u64) -> Reply {
    closing(json_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "resource_exhausted",
        &format!("request body exceeds the {limit}-byte limit"),
        Some(serde_json::json!({ "limit": limit })),
    ))
}

/// 408 for a request whose body stopped arriving for `waited_ms`; the connection is closed
/// after it. (`deadline_exceeded` maps to 504 for a handler; a client that went quiet is HTTP's
/// 408, as an over-large upload is 413 rather than `resource_exhausted`'s 429.)
pub fn body_stalled(waited_ms: u64) -> Reply {
    client_too_slow(format!("the request body stalled: nothing arrived for {waited_ms} ms"))
}

/// 408 for a request head still incomplete after `waited_ms`; the connection is closed after it.
pub fn head_stalled(waited_ms: u64) -> Reply {
    client_too_slow(format!("the request head was not complete within {waited_ms} ms"))
}

fn client_too_slow(message: String) -> Reply {
    closing(json_error(StatusCode::REQUEST_TIMEOUT, "deadline_exceeded", &message, None))
}

pub fn headers_too_large() -> Reply {
    json_error(
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "resource_exhausted",
        "request head is too large to hand to the application",
        None,
    )
}

/// 400 with a body already serialized by the validator.
pub fn invalid_request(json: String) -> Reply {
    let mut response = Response::new(whole(Bytes::from(json)));
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

pub fn bad_body() -> Reply {
    json_error(StatusCode::BAD_REQUEST, "invalid_argument", "the request body could not be read", None)
}

pub fn overloaded(retry_after_seconds: u32) -> Reply {
    let mut response = json_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "the server is overloaded; retry later",
        None,
    );
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
    response
}

pub fn invalid_handler_response(reason: &str) -> Reply {
    json_error(StatusCode::INTERNAL_SERVER_ERROR, "internal", &format!("internal error: {reason}"), None)
}

/// 400 for HTTP that cannot be read; the connection is closed after it.
pub fn bad_request(reason: &str) -> Reply {
    closing(json_error(StatusCode::BAD_REQUEST, "invalid_argument", &format!("bad request: {reason}"), None))
}

/// 431 for a request head over the size or header-count limit.
pub fn head_too_large() -> Reply {
    json_error(
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "resource_exhausted",
        "request head is too large: at most 64 KiB and 100 headers",
        None,
    )
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    async fn body_text(reply: Reply) -> String {
        let bytes = reply.into_body().collect().await.expect("a whole body").to_bytes();
        String::from_utf8(bytes.to_vec()).expect("UTF-8")
    }

    #[tokio::test]
    async fn error_fields_come_in_the_documented_order() {
        assert_eq!(
            body_text(body_too_large(2048)).await,
            r#"{"code":"resource_exhausted","message":"request body exceeds the 2048-byte limit","details":{"limit":2048}}"#
        );
        let allow = ["GET".to_owned(), "HEAD".to_owned()];
        assert_eq!(
            body_text(method_not_allowed("PUT", "/a", &allow)).await,
            r#"{"code":"unimplemented","message":"PUT is not allowed on /a","details":{"allow":["GET","HEAD"]}}"#
        );
        assert_eq!(
            body_text(not_found("GET", "/\"quoted\"")).await,
            r#"{"code":"not_found","message":"no route for GET /\"quoted\""}"#
        );
    }
}
