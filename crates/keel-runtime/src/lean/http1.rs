//! HTTP/1.1 wire details for the lean engine: request framing, chunked request bodies, and
//! response heads written straight from response frames.

use std::mem::MaybeUninit;
use std::time::SystemTime;

use http::StatusCode;

/// What a client sends first on an HTTP/2 prior-knowledge connection.
pub const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Largest request head accepted (request line and headers).
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Most headers accepted in one request.
pub const MAX_HEADERS: usize = 100;

/// Room for a request's headers. Left uninitialized: httparse writes only the headers it finds,
/// so parsing a head does not first zero room for a hundred of them (3.2 KiB).
pub type HeaderRoom<'b> = [MaybeUninit<httparse::Header<'b>>; MAX_HEADERS];

pub fn header_room<'b>() -> HeaderRoom<'b> {
    [const { MaybeUninit::uninit() }; MAX_HEADERS]
}

/// A complete request head, borrowed from the bytes it was parsed from.
pub struct Head<'b, 'h> {
    pub method: &'b str,
    pub target: &'b str,
    pub http10: bool,
    pub headers: &'h [httparse::Header<'b>],
}

/// Parses the request head at the front of `input`: its length and parts once it is complete,
/// `None` while more bytes are needed.
pub fn parse_head<'b, 'h>(input: &'b [u8], room: &'h mut HeaderRoom<'b>) -> Result<Option<(usize, Head<'b, 'h>)>, httparse::Error> {
    let mut request = httparse::Request::new(&mut []);
    let len = match request.parse_with_uninit_headers(input, room)? {
        httparse::Status::Complete(len) => len,
        httparse::Status::Partial => return Ok(None),
    };
    // A complete parse has read the method and the target: the defaults are never taken.
    let head = Head {
        method: request.method.unwrap_or("GET"),
        target: request.path.unwrap_or("/"),
        http10: request.version == Some(0),
        headers: request.headers,
    };
    Ok(Some((len, head)))
}

/// What was wrong with a head httparse refused, for the 400's message: the part to fix, in words
/// a client's author can act on (httparse's own "invalid token" names neither the method nor the
/// target). Too many headers is answered 431 before this is asked.
pub fn malformed_head_reason(error: httparse::Error) -> &'static str {
    match error {
        httparse::Error::HeaderName => "malformed HTTP request: a header line has no colon, or its name is empty or holds a character not allowed there",
        httparse::Error::HeaderValue => "malformed HTTP request: a header value holds a control character",
        httparse::Error::NewLine => "malformed HTTP request: a line does not end in CRLF",
        httparse::Error::Token => "malformed HTTP request: the method or the target holds a character not allowed there",
        httparse::Error::Version => "malformed HTTP request: the version is not HTTP/1.0 or HTTP/1.1",
        httparse::Error::Status | httparse::Error::TooManyHeaders => "malformed HTTP request",
    }
}

/// How a request's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Empty,
    Length(u64),
    Chunked,
}

/// What the head says about the connection and the body.
#[derive(Debug, Clone, Copy)]
pub struct HeadFacts {
    pub framing: Framing,
    /// The client wants the connection kept open after this exchange.
    pub keep_alive: bool,
    pub expect_continue: bool,
}

fn has_token(value: &[u8], token: &str) -> bool {
    value
        .split(|&b| b == b',')
        .any(|part| part.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// Why a request whose Transfer-Encoding is not a single `chunked` is refused (both engines).
pub const UNSUPPORTED_TRANSFER_ENCODING: &str =
    "unsupported transfer-encoding: only chunked is read; send the body chunked or with a content-length";

/// Whether a Transfer-Encoding value names the one coding Keel reads, `chunked`, and nothing else.
pub fn is_only_chunked(value: &[u8]) -> bool {
    value.trim_ascii().eq_ignore_ascii_case(b"chunked")
}

/// Reads framing and connection facts from a parsed head; `Err` names why the head is unusable
/// (answered with 400 and a closed connection, as request smuggling defences require).
pub fn head_facts(http10: bool, headers: &[httparse::Header<'_>]) -> Result<HeadFacts, &'static str> {
    let mut length: Option<u64> = None;
    let mut chunked = false;
    let mut close = false;
    let mut keep_alive = false;
    let mut expect_continue = false;
    for header in headers {
        let name = header.name;
        if name.eq_ignore_ascii_case("content-length") {
            let text = std::str::from_utf8(header.value).map_err(|_| "invalid content-length")?;
            let parsed: u64 = text.trim().parse().map_err(|_| "invalid content-length")?;
            if text.trim().starts_with('+') || length.is_some_and(|l| l != parsed) {
                return Err("invalid content-length");
            }
            length = Some(parsed);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // Only `chunked`, once: without it last the body has no knowable end, and Keel
            // decodes no other coding (gzip bytes must not reach the app as if they were the body).
            if http10 || chunked || !is_only_chunked(header.value) {
                return Err(UNSUPPORTED_TRANSFER_ENCODING);
            }
            chunked = true;
        } else if name.eq_ignore_ascii_case("connection") {
            close |= has_token(header.value, "close");
            keep_alive |= has_token(header.value, "keep-alive");
        } else if name.eq_ignore_ascii_case("expect") {
            expect_continue = header.value.trim_ascii().eq_ignore_ascii_case(b"100-continue");
        }
    }
    if chunked && length.is_some() {
        return Err("both content-length and transfer-encoding");
    }
    let framing = match (chunked, length) {
        (true, _) => Framing::Chunked,
        (false, Some(0)) | (false, None) => Framing::Empty,
        (false, Some(n)) => Framing::Length(n),
    };
    let keep_alive = if http10 { keep_alive && !close } else { !close };
    Ok(HeadFacts { framing, keep_alive, expect_continue: expect_continue && !http10 })
}

/// Splits a request target into path and query. Absolute-form targets keep only their path.
pub fn split_target(target: &str) -> (&str, Option<&str>) {
    // Origin-form (the usual "/path?query") is told apart first: no substring search for it.
    let absolute = if target.starts_with('/') { None } else { target.find("://") };
    let target = match absolute {
        Some(scheme_end) => {
            let after = &target[scheme_end + 3..];
            match after.find(['/', '?']) {
                Some(i) if after.as_bytes()[i] == b'/' => &after[i..],
                Some(i) => &after[i..], // "http://host?q": the path is empty
                None => "/",
            }
        }
        _ => target,
    };
    match target.split_once('?') {
        Some((path, query)) => (if path.is_empty() { "/" } else { path }, Some(query)),
        None => (target, None),
    }
}

/// Why a chunked body could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum ChunkError {
    Malformed,
    TooLarge,
}

/// Decodes a chunked body incrementally, from whatever bytes have arrived.
#[derive(Debug, Default)]
pub struct ChunkedDecoder {
    state: ChunkState,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    #[default]
    Size,
    Data(u64),
    DataEnd,
    Trailers,
    Done,
}

impl ChunkedDecoder {
    /// Consumes what it can of `input`, appending body bytes to `body` (at most `limit` in
    /// all). Returns the bytes consumed and whether the body is complete.
    pub fn decode(&mut self, input: &[u8], body: &mut Vec<u8>, limit: u64) -> Result<(usize, bool), ChunkError> {
        let mut at = 0;
        loop {
            let rest = &input[at..];
            match self.state {
                ChunkState::Done => return Ok((at, true)),
                ChunkState::Size => match httparse::parse_chunk_size(rest) {
                    Ok(httparse::Status::Complete((used, 0))) => {
                        at += used;
                        self.state = ChunkState::Trailers;
                    }
                    Ok(httparse::Status::Complete((used, size))) => {
                        if body.len() as u64 + size > limit {
                            return Err(ChunkError::TooLarge);
                        }
                        at += used;
                        self.state = ChunkState::Data(size);
                    }
                    Ok(httparse::Status::Partial) if rest.len() < 1024 => return Ok((at, false)),
                    _ => return Err(ChunkError::Malformed),
                },
                ChunkState::Data(remaining) => {
                    let take = (remaining as usize).min(rest.len());
                    body.extend_from_slice(&rest[..take]);
                    at += take;
                    if take as u64 == remaining {
                        self.state = ChunkState::DataEnd;
                    } else {
                        self.state = ChunkState::Data(remaining - take as u64);
                        return Ok((at, false));
                    }
                }
                ChunkState::DataEnd => {
                    if rest.len() < 2 {
                        return Ok((at, false));
                    }
                    if &rest[..2] != b"\r\n" {
                        return Err(ChunkError::Malformed);
                    }
                    at += 2;
                    self.state = ChunkState::Size;
                }
                ChunkState::Trailers => {
                    // Trailer lines carry nothing the application reads; skip to the empty line.
                    let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") else {
                        if rest.len() > 8 * 1024 {
                            return Err(ChunkError::Malformed);
                        }
                        return Ok((at, false));
                    };
                    at += line_end + 2;
                    if line_end == 0 {
                        self.state = ChunkState::Done;
                    }
                }
            }
        }
    }
}

/// The `date` header value, formatted at most once a second.
pub struct DateCache {
    second: u64,
    text: String,
}

impl DateCache {
    pub fn new() -> DateCache {
        let mut cache = DateCache { second: u64::MAX, text: String::new() };
        cache.refresh();
        cache
    }

    pub fn refresh(&mut self) {
        let now = SystemTime::now();
        let second = now.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        if second != self.second {
            self.second = second;
            self.text = httpdate::fmt_http_date(now);
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

/// How the body after a response head is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// `content-length`, also on bodiless answers to HEAD, where it describes the body not sent.
    Length(usize),
    Chunked,
    /// 204, 304, or an HTTP/1.0 stream: no framing header at all.
    None,
}

/// True for a valid header name (an RFC 9110 token).
fn is_token(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| TOKEN_BYTES[b as usize])
}

/// Which bytes may appear in a token (RFC 9110 `tchar`): a table, so that checking a header
/// name costs one load per byte.
static TOKEN_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~');
        b += 1;
    }
    table
};

/// A header value may not break the head: no CR, LF or NUL.
fn is_field_value(value: &[u8]) -> bool {
    !value.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0)
}

/// Headers the engine owns: the handler's copies would contradict the framing it chose.
fn is_framing_header(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"content-length")
        || name.eq_ignore_ascii_case(b"transfer-encoding")
        || name.eq_ignore_ascii_case(b"connection")
}

/// A status JS may send as a final answer (1xx are not final).
pub fn sendable_status(status: u16) -> bool {
    (200..=999).contains(&status)
}

/// Writes a response head; `Err` when a header from the handler cannot be sent (nothing is
/// written then).
pub fn write_head<'h>(
    out: &mut Vec<u8>,
    status: u16,
    headers: impl Iterator<Item = (&'h [u8], &'h [u8])>,
    framing: BodyFraming,
    close: bool,
    date: &DateCache,
) -> Result<(), ()> {
    let start = out.len();
    let reason = StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(itoa::Buffer::new().format(status).as_bytes());
    out.push(b' ');
    out.extend_from_slice(reason.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        if !is_token(name) || !is_field_value(value) {
            out.truncate(start);
            return Err(());
        }
        if is_framing_header(name) {
            continue;
        }
        out.extend_from_slice(name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    match framing {
        BodyFraming::Length(len) => {
            out.extend_from_slice(b"content-length: ");
            out.extend_from_slice(itoa::Buffer::new().format(len).as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        BodyFraming::Chunked => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
        BodyFraming::None => {}
    }
    if close {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(b"date: ");
    out.extend_from_slice(date.text().as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
    Ok(())
}

/// Appends one chunk of a chunked body.
pub fn write_chunk(out: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        return; // an empty chunk would end the body
    }
    out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_bytes_are_the_visible_ascii_that_is_not_a_delimiter() {
        // RFC 9110: tchar is any VCHAR except the delimiters "(),/:;<=>?@[\]{}, DQUOTE.
        for b in 0..=255u8 {
            let expected = b.is_ascii_graphic() && !br#""(),/:;<=>?@[\]{}"#.contains(&b);
            assert_eq!(is_token(&[b]), expected, "byte {b}");
        }
        assert!(is_token(b"content-type") && is_token(b"X-Custom_1~"));
        assert!(!is_token(b"") && !is_token(b"bad name") && !is_token(b"a:b"));
    }

    fn facts(http10: bool, pairs: &[(&str, &str)]) -> Result<HeadFacts, &'static str> {
        let headers: Vec<httparse::Header<'_>> =
            pairs.iter().map(|(n, v)| httparse::Header { name: n, value: v.as_bytes() }).collect();
        head_facts(http10, &headers)
    }

    #[test]
    fn framing_and_keep_alive_follow_the_head() {
        let f = facts(false, &[("Content-Length", "12")]).unwrap();
        assert_eq!(f.framing, Framing::Length(12));
        assert!(f.keep_alive);
        assert_eq!(facts(false, &[("transfer-encoding", "Chunked ")]).unwrap().framing, Framing::Chunked);
        assert!(!facts(false, &[("connection", "Close")]).unwrap().keep_alive);
        assert!(!facts(true, &[]).unwrap().keep_alive);
        assert!(facts(true, &[("connection", "keep-alive")]).unwrap().keep_alive);
        assert!(facts(false, &[("expect", "100-continue")]).unwrap().expect_continue);
    }

    #[test]
    fn ambiguous_framing_is_refused() {
        assert!(facts(false, &[("content-length", "1"), ("transfer-encoding", "chunked")]).is_err());
        assert!(facts(false, &[("content-length", "1"), ("content-length", "2")]).is_err());
        assert!(facts(false, &[("content-length", "+1")]).is_err());
        assert!(facts(false, &[("content-length", "x")]).is_err());
        assert!(facts(false, &[("transfer-encoding", "gzip")]).is_err());
        // Codings Keel does not decode are refused even when chunked frames them.
        assert!(facts(false, &[("transfer-encoding", "gzip, chunked")]).is_err());
        assert!(facts(false, &[("transfer-encoding", "chunked, chunked")]).is_err());
        assert!(facts(false, &[("transfer-encoding", "gzip"), ("transfer-encoding", "chunked")]).is_err());
        assert!(facts(false, &[("transfer-encoding", "chunked"), ("transfer-encoding", "chunked")]).is_err());
        assert!(facts(false, &[("content-length", "3"), ("content-length", "3")]).is_ok());
    }

    #[test]
    fn targets_split_into_path_and_query() {
        assert_eq!(split_target("/a/b?x=1"), ("/a/b", Some("x=1")));
        assert_eq!(split_target("/a"), ("/a", None));
        assert_eq!(split_target("http://h:1/p?q"), ("/p", Some("q")));
        assert_eq!(split_target("http://h"), ("/", None));
        assert_eq!(split_target("*"), ("*", None));
    }

    #[test]
    fn chunked_bodies_decode_across_arbitrary_splits() {
        let wire = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: 1\r\n\r\nNEXT";
        for split in 0..wire.len() {
            let mut decoder = ChunkedDecoder::default();
            let mut body = Vec::new();
            let (used, done) = decoder.decode(&wire[..split], &mut body, 1024).unwrap();
            assert!(!done || split >= wire.len() - 4);
            let (more, done) = decoder.decode(&wire[used..], &mut body, 1024).unwrap();
            assert!(done, "split at {split}");
            assert_eq!(&wire[used + more..], b"NEXT");
            assert_eq!(body, b"hello world");
        }
    }

    #[test]
    fn chunked_bodies_over_the_limit_or_malformed_are_refused() {
        let mut body = Vec::new();
        assert_eq!(ChunkedDecoder::default().decode(b"10\r\n", &mut body, 15), Err(ChunkError::TooLarge));
        assert_eq!(ChunkedDecoder::default().decode(b"zz\r\n", &mut body, 15), Err(ChunkError::Malformed));
        assert_eq!(ChunkedDecoder::default().decode(b"1\r\nabc", &mut body, 15), Err(ChunkError::Malformed));
    }

    #[test]
    fn heads_carry_the_framing_and_refuse_broken_headers() {
        let date = DateCache::new();
        let mut out = Vec::new();
        let headers: [(&[u8], &[u8]); 2] = [(b"x-a", b"1"), (b"Content-Length", b"99")];
        write_head(&mut out, 200, headers.iter().copied(), BodyFraming::Length(3), true, &date).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\nx-a: 1\r\ncontent-length: 3\r\nconnection: close\r\ndate: "));
        assert!(!text.contains("99"));
        let mut out = Vec::new();
        let bad: [(&[u8], &[u8]); 1] = [(b"x-a", b"1\r\nx-b: 2")];
        assert!(write_head(&mut out, 200, bad.iter().copied(), BodyFraming::None, false, &date).is_err());
        assert!(out.is_empty());
    }
}
