// The engine over real sockets, with a Rust consumer thread standing in for JS. It follows the
// same protocol as bindings/core: poll, walk frames, answer, release on the next poll.
// Included by one test file per engine, each defining `BASE` (the config both share).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use keel_core::envelope::{decode, DecodedRequest};
use keel_core::frame::{slots_for, FrameKind, RequestId, SLOT_BYTES};
use keel_core::response::{write_frame, write_frame_with_flags, FLAG_ABORT, FLAG_CHUNK, FLAG_END, FLAG_STREAM};
use keel_runtime::Runtime;

/// What the consumer saw, in order. (A few hundred frames per test: size does not matter.)
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
enum Seen {
    Request(DecodedRequest, Vec<u8>),
    Cancel(RequestId),
    Credit(RequestId, u32),
    Shutdown,
}

/// How the consumer answers a request; `None` leaves it unanswered.
type Answer = dyn Fn(&DecodedRequest, &[u8]) -> Option<(u16, Vec<u8>)> + Send + Sync;

struct Harness {
    runtime: Arc<Runtime>,
    seen: mpsc::Receiver<Seen>,
    stop: Arc<AtomicBool>,
    consumer: Option<thread::JoinHandle<()>>,
}

impl Harness {
    fn start(config: &str, answer: Box<Answer>) -> Harness {
        let runtime = Arc::new(Runtime::open(config.as_bytes()).expect("runtime starts"));
        let (tx, seen) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let consumer = {
            let runtime = runtime.clone();
            let stop = stop.clone();
            thread::spawn(move || consume(&runtime, &stop, &tx, &*answer))
        };
        Harness { runtime, seen, stop, consumer: Some(consumer) }
    }

    fn port(&self) -> u16 {
        self.runtime.port()
    }

    fn next_seen(&self) -> Seen {
        self.seen.recv_timeout(Duration::from_secs(10)).expect("the consumer saw a frame")
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(consumer) = self.consumer.take() {
            let _ = consumer.join();
        }
    }
}

fn consume(runtime: &Runtime, stop: &AtomicBool, seen: &mpsc::Sender<Seen>, answer: &Answer) {
    let (base, len) = runtime.request_ring();
    let slot_count = len / SLOT_BYTES;
    let mut head = 0usize;
    let mut release = 0u32;
    while !stop.load(Ordering::SeqCst) {
        let ready = runtime.poll(release).expect("poll");
        release = 0;
        if ready == 0 {
            thread::sleep(Duration::from_millis(1));
            continue;
        }
        let mut walked = 0u32;
        while walked < ready {
            // SAFETY: the frame at `head` was reported ready and is not released until the next
            // poll; its length field is the first 4 bytes.
            let frame_len = unsafe { u32::from_le_bytes(*(base.add(head * SLOT_BYTES) as *const [u8; 4])) } as usize;
            // SAFETY: a published frame lies within the ring without wrapping.
            let frame = unsafe { std::slice::from_raw_parts(base.add(head * SLOT_BYTES), frame_len) };
            let kind = u16::from_le_bytes([frame[4], frame[5]]);
            let word = |at: usize| u32::from_le_bytes(frame[at..at + 4].try_into().unwrap());
            if kind == FrameKind::Request as u16 {
                let (offset, env_len) = (word(8) as usize, word(12) as usize);
                let request = decode(&frame[offset..offset + env_len]).expect("valid envelope");
                let body = match request.body_location {
                    1 => frame[request.body_offset as usize..][..request.body_len as usize].to_vec(),
                    2 => {
                        let ptr = runtime.spilled_body(head as u32).expect("spilled body");
                        // SAFETY: the spill stays alive until this frame's slots are released.
                        unsafe { std::slice::from_raw_parts(ptr, request.body_len as usize) }.to_vec()
                    }
                    _ => Vec::new(),
                };
                if let Some((status, reply)) = answer(&request, &body) {
                    let mut out = Vec::new();
                    let id = RequestId::from_u64(request.request_id);
                    write_frame(&mut out, id, status, &[(b"content-type", b"application/octet-stream")], &reply);
                    runtime.respond(&out).expect("valid frame");
                }
                let _ = seen.send(Seen::Request(request, body));
            } else if kind == FrameKind::Cancel as u16 {
                let _ = seen.send(Seen::Cancel(RequestId { index: word(8), generation: word(12) }));
            } else if kind == FrameKind::Credit as u16 {
                let _ = seen.send(Seen::Credit(RequestId { index: word(8), generation: word(12) }, word(16)));
            } else if kind == FrameKind::Shutdown as u16 {
                let _ = seen.send(Seen::Shutdown);
            }
            let slots = slots_for(frame_len);
            walked += slots as u32;
            head = (head + slots) % slot_count;
        }
        release = ready;
    }
}

/// Sends raw bytes and returns everything the server sends until it closes the connection.
fn exchange(port: u16, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn get(port: u16, path: &str) -> String {
    exchange(port, format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").as_bytes())
}

fn echo_path() -> Box<Answer> {
    Box::new(|req, body| {
        let mut reply = format!("{} {} {:?} ", req.method, req.path, req.query).into_bytes();
        reply.extend_from_slice(body);
        Some((200, reply))
    })
}


#[test]
fn requests_reach_the_consumer_and_answers_reach_the_client() {
    let h = Harness::start(&format!("{{{BASE}}}"), echo_path());
    let response = get(h.port(), "/a/b?x=1");
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("0 /a/b Some(\"x=1\") "), "{response}");
    let Seen::Request(request, _) = h.next_seen() else { panic!("expected a request") };
    assert_eq!(request.endpoint, 0);
    assert!(request.headers.iter().any(|(n, v)| n == b"host" && v == b"t"));
    assert!(request.remote_addr.starts_with("127.0.0.1:"));
}

#[test]
fn routes_are_matched_in_rust_with_404_and_405() {
    let config = format!(
        r#"{{{BASE},"fallback":false,"routes":[{{"method":"GET","path":"/hello"}},{{"method":"POST","path":"/users/:id"}}]}}"#
    );
    let h = Harness::start(&config, echo_path());
    assert!(get(h.port(), "/hello").contains("\r\n\r\n0 /hello"));
    let missing = get(h.port(), "/nope");
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    assert!(missing.contains(r#"{"code":"not_found","message":"no route for GET /nope"}"#), "{missing}");
    let wrong = get(h.port(), "/users/7");
    assert!(wrong.starts_with("HTTP/1.1 405"), "{wrong}");
    assert!(wrong.contains("allow: POST"), "{wrong}");
    let posted = exchange(h.port(), b"POST /users/7 HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");
    assert!(posted.ends_with("2 /users/7 None hi"), "{posted}");
    let Seen::Request(request, body) = h.next_seen() else { panic!() };
    assert_eq!(request.endpoint, 1);
    let Seen::Request(request, body2) = h.next_seen() else { panic!() };
    assert_eq!((request.endpoint, body.len(), body2.as_slice()), (2, 0, &b"hi"[..]));
    assert_eq!(request.params, vec![(b"id".to_vec(), b"7".to_vec())]);
}

#[test]
fn bodies_over_the_limit_get_413_and_large_ones_spill_intact() {
    let h = Harness::start(&format!(r#"{{{BASE},"maxRequestBodySize":300000}}"#), echo_path());
    let mut over = b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 300001\r\n\r\n".to_vec();
    over.resize(over.len() + 300_001, b'x');
    let over = exchange(h.port(), &over);
    assert!(over.starts_with("HTTP/1.1 413"), "{over}");
    assert!(over.contains(r#""code":"resource_exhausted""#), "{over}");
    // A client waiting for 100-continue is answered before it sends anything.
    let waiting = exchange(h.port(), b"POST /x HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 300001\r\n\r\n");
    assert!(waiting.starts_with("HTTP/1.1 413"), "{waiting}");

    let body: Vec<u8> = (0..250_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let mut request = format!("POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).into_bytes();
    request.extend_from_slice(&body);
    let response = exchange(h.port(), &request);
    assert!(response.starts_with("HTTP/1.1 200"), "{}", &response[..100.min(response.len())]);
    assert!(response.ends_with(std::str::from_utf8(&body).unwrap()));
    let Seen::Request(request, seen_body) = h.next_seen() else { panic!() };
    assert_eq!(request.body_location, 2, "a 250 KB body is spilled, not copied into the ring");
    assert_eq!(seen_body, body);
}

#[test]
fn a_client_that_leaves_produces_a_cancel_and_its_late_answer_is_dropped() {
    let h = Harness::start(&format!("{{{BASE}}}"), Box::new(|_, _| None));
    {
        let mut stream = TcpStream::connect(("127.0.0.1", h.port())).unwrap();
        stream.write_all(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        let Seen::Request(request, _) = h.next_seen() else { panic!() };
        drop(stream);
        let Seen::Cancel(id) = h.next_seen() else { panic!("expected a cancel") };
        assert_eq!(id, RequestId::from_u64(request.request_id));
        let mut late = Vec::new();
        write_frame(&mut late, id, 200, &[], b"late");
        assert_eq!(h.runtime.respond(&late).unwrap(), 1, "parsed, then dropped as stale");
    }
    let h2 = Harness::start(&format!("{{{BASE}}}"), echo_path());
    assert!(get(h2.port(), "/still-fine").starts_with("HTTP/1.1 200"));
}

#[test]
fn a_full_pending_table_sheds_with_503_and_retry_after() {
    let config = format!(r#"{{{BASE},"maxInflight":2,"queueTimeoutMs":200,"retryAfterSeconds":3}}"#);
    let h = Harness::start(&config, Box::new(|_, _| None));
    let hold: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", h.port())).unwrap();
            s.write_all(b"GET /hold HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
            s
        })
        .collect();
    for _ in 0..2 {
        assert!(matches!(h.next_seen(), Seen::Request(..)));
    }
    let shed = get(h.port(), "/more");
    assert!(shed.starts_with("HTTP/1.1 503"), "{shed}");
    assert!(shed.contains("retry-after: 3"), "{shed}");
    assert!(shed.contains(r#""code":"unavailable""#), "{shed}");
    drop(hold);
}

#[test]
fn graceful_shutdown_finishes_in_flight_work_refuses_new_connections_then_reports() {
    let answer_now = Arc::new(AtomicBool::new(false));
    let gate = answer_now.clone();
    let h = Harness::start(
        &format!("{{{BASE}}}"),
        Box::new(move |_, _| gate.load(Ordering::SeqCst).then(|| (200, b"done".to_vec()))),
    );
    let port = h.port();
    let mut in_flight = TcpStream::connect(("127.0.0.1", port)).unwrap();
    in_flight.write_all(b"GET /work HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let Seen::Request(request, _) = h.next_seen() else { panic!() };
    h.runtime.shutdown(Duration::from_secs(10));
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "refused as soon as shutdown returns");
    let mut out = Vec::new();
    write_frame(&mut out, RequestId::from_u64(request.request_id), 200, &[], b"done");
    h.runtime.respond(&out).unwrap();
    let mut response = String::new();
    in_flight.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = in_flight.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 200") && response.ends_with("done"), "{response}");
    assert!(matches!(h.next_seen(), Seen::Shutdown));
    answer_now.store(true, Ordering::SeqCst);
}

#[test]
fn malformed_http_gets_400_and_the_connection_closes() {
    let h = Harness::start(&format!("{{{BASE}}}"), echo_path());
    let malformed: [&[u8]; 7] = [
        b"GARBAGE\r\n\r\n",
        b"GET /x HTTP/1.1\r\nBad Header\r\n\r\n",
        b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
        b"G@T / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
        // A coding Keel does not decode: its bytes must not reach the app as the body.
        b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    ];
    for request in malformed {
        // `exchange` reads to EOF, so returning at all proves the server closed the connection.
        let response = exchange(h.port(), request);
        assert!(response.starts_with("HTTP/1.1 400"), "{request:?} => {response:?}");
        assert!(response.contains("connection: close"), "{response:?}");
    }
    // The server is unharmed.
    assert!(get(h.port(), "/ok").starts_with("HTTP/1.1 200"));
}

#[test]
fn a_bad_config_is_refused_with_a_reason() {
    let err = Runtime::open(br#"{"port":"x"}"#).err().expect("rejected");
    assert!(err.to_string().contains("invalid runtime config"), "{err}");
    let err = Runtime::open(br#"{"routes":[{"path":"no-slash"}]}"#).err().expect("rejected");
    assert!(err.to_string().contains("must start with '/'"), "{err}");
}


#[test]
fn pipelined_requests_are_answered_in_order_on_one_connection() {
    let h = Harness::start(&format!("{{{BASE}}}"), echo_path());
    let response = exchange(
        h.port(),
        b"GET /first HTTP/1.1\r\nHost: t\r\n\r\nGET /second HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    let first = response.find("/first").expect("first answered");
    let second = response.find("/second").expect("second answered");
    assert!(first < second, "{response}");
    assert_eq!(response.matches("HTTP/1.1 200 OK").count(), 2, "{response}");
}

#[test]
fn a_connection_past_max_connections_waits_for_a_free_one() {
    let h = Harness::start(&format!(r#"{{{BASE},"maxConnections":1}}"#), echo_path());
    let mut first = TcpStream::connect(("127.0.0.1", h.port())).unwrap();
    first.write_all(b"GET /first HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let mut got = Vec::new();
    read_until(&mut first, &mut got, b"/first");
    // The kernel completes the second handshake; the server must leave it queued, not close it.
    let mut second = TcpStream::connect(("127.0.0.1", h.port())).unwrap();
    second.write_all(b"GET /second HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").unwrap();
    let (early, closed) = read_until_closed(&mut second, Duration::from_millis(300));
    assert!(early.is_empty() && !closed, "served or closed while the first connection was open: {early:?}");
    drop(first);
    let (response, closed) = read_until_closed(&mut second, Duration::from_secs(5));
    assert!(response.starts_with("HTTP/1.1 200") && response.contains("/second"), "{response}");
    assert!(closed, "Connection: close was honoured");
}

/// Reads until EOF or `limit`; returns what arrived and whether the server closed the socket.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut out = Vec::new();
    let closed = stream.read_to_end(&mut out).is_ok();
    (String::from_utf8_lossy(&out).into_owned(), closed)
}

/// Starts a server whose config is BASE plus `option`, sends `bytes` on one connection, then
/// reads until the server closes it (at most 5 s): what arrived, whether it closed, and how long
/// after the send.
fn send_and_await_close(option: &str, bytes: &[u8]) -> (String, bool, Duration) {
    let h = Harness::start(&format!("{{{BASE},{option}}}"), echo_path());
    let mut stream = TcpStream::connect(("127.0.0.1", h.port())).unwrap();
    stream.write_all(bytes).unwrap();
    let started = std::time::Instant::now();
    let (response, closed) = read_until_closed(&mut stream, Duration::from_secs(5));
    (response, closed, started.elapsed())
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let (response, closed, waited) =
        send_and_await_close(r#""idleTimeoutMs":300"#, b"GET /once HTTP/1.1\r\nHost: t\r\n\r\n");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(closed, "the idle connection was closed by the server");
    assert!(waited >= Duration::from_millis(250) && waited < Duration::from_secs(3), "{waited:?}");
}

#[test]
fn a_slow_request_head_is_cut_off_by_the_header_read_timeout() {
    let (response, closed, waited) =
        send_and_await_close(r#""headerReadTimeoutMs":300"#, b"GET /slow HTTP/1.1\r\nHost: t\r\n");
    assert!(closed, "the connection was closed; got {response:?}");
    // The lean engine says why first (engine_lean.rs checks the answer); hyper closes silently.
    assert!(response.is_empty() || response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(waited < Duration::from_secs(3));
}

#[test]
fn a_request_body_that_stops_arriving_gets_408_and_the_connection_closes() {
    let h = Harness::start(&format!(r#"{{{BASE},"idleTimeoutMs":300}}"#), echo_path());
    let partial: [&[u8]; 2] = [
        b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nthe first ten",
        b"POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n",
    ];
    for bytes in partial {
        let mut stream = TcpStream::connect(("127.0.0.1", h.port())).unwrap();
        stream.write_all(bytes).unwrap();
        let started = std::time::Instant::now();
        let (response, closed) = read_until_closed(&mut stream, Duration::from_secs(5));
        let waited = started.elapsed();
        assert!(response.starts_with("HTTP/1.1 408"), "{response}");
        assert!(response.contains(r#""code":"deadline_exceeded""#), "{response}");
        assert!(closed, "the connection was closed after the 408");
        assert!(waited >= Duration::from_millis(250) && waited < Duration::from_secs(3), "{waited:?}");
    }
    assert!(h.seen.try_recv().is_err(), "no unfinished request reached the consumer");
}

#[test]
fn a_slow_but_steady_body_is_not_cut_off() {
    let h = Harness::start(&format!(r#"{{{BASE},"idleTimeoutMs":600}}"#), echo_path());
    let mut stream = TcpStream::connect(("127.0.0.1", h.port())).unwrap();
    stream.write_all(b"POST /upload HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 8\r\n\r\n").unwrap();
    // Eight bytes over ~1.2 s, twice the idle timeout, but only 150 ms apart (a wide margin
    // for a busy test machine's sleeps).
    for byte in b"steadily" {
        thread::sleep(Duration::from_millis(150));
        stream.write_all(&[*byte]).unwrap();
    }
    let (response, closed) = read_until_closed(&mut stream, Duration::from_secs(5));
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("/upload None steadily"), "the whole body arrived: {response}");
    assert!(closed);
}

#[test]
fn http2_with_prior_knowledge_is_served_too() {
    let h = Harness::start(&format!("{{{BASE}}}"), echo_path());
    let port = h.port();
    let client = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (status, version, body) = client.block_on(async move {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let io = hyper_util::rt::TokioIo::new(stream);
        let (mut sender, connection) =
            hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io).await.unwrap();
        tokio::spawn(connection);
        let request = http::Request::get(format!("http://127.0.0.1:{port}/over/h2?q=1"))
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        let (status, version) = (response.status(), response.version());
        let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
        (status, version, body)
    });
    assert_eq!(status, 200);
    assert_eq!(version, http::Version::HTTP_2);
    assert_eq!(&body[..], b"0 /over/h2 Some(\"q=1\") ");
    let Seen::Request(request, _) = h.next_seen() else { panic!() };
    assert_eq!(request.http_version, 2);
    assert!(request.headers.iter().any(|(n, v)| n == b"host" && v.starts_with(b"127.0.0.1:")), "{:?}", request.headers);
}

#[test]
fn an_over_limit_upload_is_drained_so_the_413_always_arrives() {
    let h = Harness::start(&format!(r#"{{{BASE},"maxRequestBodySize":100000}}"#), echo_path());
    for round in 0..20 {
        let mut stream = TcpStream::connect(("127.0.0.1", h.port())).unwrap();
        stream.write_all(b"POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap();
        let chunk = vec![b'z'; 32 * 1024];
        for _ in 0..8 {
            // 256 KiB in all, far over the limit; the server may answer while this is sent.
            if stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).is_err()
                || stream.write_all(&chunk).is_err()
                || stream.write_all(b"\r\n").is_err()
            {
                break;
            }
        }
        let _ = stream.write_all(b"0\r\n\r\n");
        let (response, closed) = read_until_closed(&mut stream, Duration::from_secs(5));
        assert!(response.starts_with("HTTP/1.1 413"), "round {round}: {response:?}");
        assert!(response.contains("connection: close") && closed, "round {round}: {response:?}");
    }
}

/// Waits for the next REQUEST the consumer saw, skipping other frames.
fn next_request(h: &Harness) -> DecodedRequest {
    loop {
        if let Seen::Request(request, _) = h.next_seen() {
            return request;
        }
    }
}

fn send(h: &Harness, id: RequestId, status: u16, headers: &[(&[u8], &[u8])], body: &[u8], flags: u32) {
    let mut frame = Vec::new();
    write_frame_with_flags(&mut frame, id, status, headers, body, flags);
    h.runtime.respond(&frame).expect("valid frame");
}

/// Reads from `stream` until `needle` has arrived (or fails after 5 s).
fn read_until(stream: &mut TcpStream, got: &mut Vec<u8>, needle: &[u8]) {
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 65536];
    while !got.windows(needle.len()).any(|w| w == needle) {
        let n = stream.read(&mut buf).expect("more bytes");
        assert!(n > 0, "closed before {:?} arrived; got {:?}", String::from_utf8_lossy(needle), String::from_utf8_lossy(got));
        got.extend_from_slice(&buf[..n]);
    }
}

#[test]
fn a_streamed_response_reaches_the_client_chunk_by_chunk() {
    let h = Harness::start(&format!("{{{BASE}}}"), Box::new(|_, _| None));
    let mut client = TcpStream::connect(("127.0.0.1", h.port())).unwrap();
    client.write_all(b"GET /stream HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let id = RequestId::from_u64(next_request(&h).request_id);
    send(&h, id, 200, &[(b"content-type", b"text/plain")], b"first;", FLAG_STREAM);
    let mut got = Vec::new();
    read_until(&mut client, &mut got, b"first;");
    let head = String::from_utf8_lossy(&got).to_string();
    assert!(head.starts_with("HTTP/1.1 200 OK") && head.contains("transfer-encoding: chunked"), "{head}");
    send(&h, id, 0, &[], b"second;", FLAG_CHUNK);
    read_until(&mut client, &mut got, b"second;");
    send(&h, id, 0, &[], b"last", FLAG_CHUNK | FLAG_END);
    read_until(&mut client, &mut got, b"0\r\n\r\n");
    assert!(String::from_utf8_lossy(&got).contains("last"));
    // The connection is reusable afterwards.
    client.write_all(b"GET /again HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").unwrap();
    let again = RequestId::from_u64(next_request(&h).request_id);
    send(&h, again, 200, &[], b"ok", 0);
    let (rest, _) = read_until_closed(&mut client, Duration::from_secs(5));
    assert!(rest.ends_with("ok"), "{rest}");
}

/// The body of a chunked HTTP/1.1 response.
fn dechunk(response: &str) -> String {
    let (_, mut rest) = response.split_once("\r\n\r\n").expect("a head");
    let mut body = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n").expect("a chunk size line");
        let size = usize::from_str_radix(size, 16).expect("hex chunk size");
        if size == 0 {
            return body;
        }
        body.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
}

#[test]
fn the_socket_grants_credit_as_it_takes_stream_bytes() {
    const WINDOW: u64 = 65536;
    let h = Harness::start(&format!(r#"{{{BASE},"streamWindowBytes":{WINDOW}}}"#), Box::new(|_, _| None));
    let mut client = TcpStream::connect(("127.0.0.1", h.port())).unwrap();
    client.write_all(b"GET /stream HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").unwrap();
    let id = RequestId::from_u64(next_request(&h).request_id);
    send(&h, id, 200, &[], &[], FLAG_STREAM);
    let chunk = vec![b'c'; 16 * 1024];
    let (mut sent, mut credited) = (0u64, 0u64);
    for _ in 0..16 {
        // As JS does: while a whole window is outstanding, wait for credit.
        while sent - credited >= WINDOW {
            match h.next_seen() {
                Seen::Credit(credit_id, bytes) => {
                    assert_eq!(credit_id, id);
                    credited += bytes as u64;
                }
                other => panic!("expected CREDIT, saw {other:?}"),
            }
        }
        send(&h, id, 0, &[], &chunk, FLAG_CHUNK);
        sent += chunk.len() as u64;
    }
    send(&h, id, 0, &[], &[], FLAG_CHUNK | FLAG_END);
    let (response, closed) = read_until_closed(&mut client, Duration::from_secs(5));
    assert!(closed);
    assert_eq!(dechunk(&response), "c".repeat(16 * 16 * 1024), "every streamed byte arrived, in order");
    assert!(credited >= sent - WINDOW, "credit kept the stream moving: {credited} of {sent}");
}

#[test]
fn a_client_that_leaves_mid_stream_cancels_it() {
    let h = Harness::start(&format!("{{{BASE}}}"), Box::new(|_, _| None));
    let mut client = TcpStream::connect(("127.0.0.1", h.port())).unwrap();
    client.write_all(b"GET /stream HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let id = RequestId::from_u64(next_request(&h).request_id);
    send(&h, id, 200, &[], b"hello", FLAG_STREAM);
    read_until(&mut client, &mut Vec::new(), b"hello");
    drop(client);
    loop {
        match h.next_seen() {
            Seen::Cancel(cancelled) => {
                assert_eq!(cancelled, id);
                break;
            }
            Seen::Credit(..) => continue,
            other => panic!("expected CANCEL, saw {other:?}"),
        }
    }
    // Late chunks for the cancelled stream are dropped quietly.
    send(&h, id, 0, &[], b"late", FLAG_CHUNK | FLAG_END);
}

#[test]
fn head_requests_and_204_get_no_body_even_from_a_stream() {
    let h = Harness::start(&format!("{{{BASE}}}"), Box::new(|_, _| None));
    let mut client = TcpStream::connect(("127.0.0.1", h.port())).unwrap();
    client.write_all(b"HEAD /stream HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").unwrap();
    let id = RequestId::from_u64(next_request(&h).request_id);
    send(&h, id, 200, &[], b"body bytes", FLAG_STREAM);
    let (response, closed) = read_until_closed(&mut client, Duration::from_secs(5));
    assert!(closed && response.starts_with("HTTP/1.1 200") && !response.contains("body bytes"), "{response}");
    assert!(matches!(h.next_seen(), Seen::Cancel(c) if c == id), "the producer is told to stop");

    let mut client = TcpStream::connect(("127.0.0.1", h.port())).unwrap();
    client.write_all(b"GET /nothing HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").unwrap();
    let id = RequestId::from_u64(next_request(&h).request_id);
    send(&h, id, 204, &[], b"ignored", 0);
    let (response, _) = read_until_closed(&mut client, Duration::from_secs(5));
    assert!(response.starts_with("HTTP/1.1 204") && !response.contains("ignored"), "{response}");
}

#[test]
fn a_stream_that_ignores_its_window_is_cut_off() {
    let h = Harness::start(&format!(r#"{{{BASE},"streamWindowBytes":1024}}"#), Box::new(|_, _| None));
    let mut client = TcpStream::connect(("127.0.0.1", h.port())).unwrap();
    client.write_all(b"GET /flood HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let id = RequestId::from_u64(next_request(&h).request_id);
    send(&h, id, 200, &[], &[], FLAG_STREAM);
    // A single chunk over twice the window overruns it whatever the socket has taken so far.
    send(&h, id, 0, &[], &[b'x'; 4096], FLAG_CHUNK);
    let (_, closed) = read_until_closed(&mut client, Duration::from_secs(5));
    assert!(closed, "the connection is closed rather than buffering without bound");
}


#[test]
fn an_aborted_stream_closes_the_connection_without_a_final_chunk() {
    let h = Harness::start(&format!("{{{BASE}}}"), Box::new(|_, _| None));
    let mut client = TcpStream::connect(("127.0.0.1", h.port())).unwrap();
    client.write_all(b"GET /fails HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let id = RequestId::from_u64(next_request(&h).request_id);
    send(&h, id, 200, &[], b"partial", FLAG_STREAM);
    let mut got = Vec::new();
    read_until(&mut client, &mut got, b"partial");
    send(&h, id, 0, &[], &[], FLAG_CHUNK | FLAG_ABORT);
    let (rest, closed) = read_until_closed(&mut client, Duration::from_secs(5));
    assert!(closed, "the connection is closed");
    assert!(!rest.contains("0\r\n\r\n"), "no terminating chunk: the client sees a truncated body: {rest:?}");
}
