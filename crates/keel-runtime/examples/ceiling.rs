//! The physical ceiling for GET /hello on this machine, for perf/ to compare Keel against.
//!
//!   cargo run --release -p keel-runtime --example ceiling -- ring  [port] [threads]
//!   cargo run --release -p keel-runtime --example ceiling -- hyper [port] [threads]
//!
//! `ring`: Keel's real engine and request ring, drained by a Rust thread that follows the JS
//! consumer's protocol (poll, walk frames, one commit per batch, park on the doorbell) and
//! answers every request with the hello JSON — Keel with the JS thread's work taken away.
//! `hyper`: the same tokio/hyper configuration answering in the service itself, with no ring —
//! what the HTTP layer costs on its own.
//! Prints `ready <port>` once listening, then serves until killed.

use std::convert::Infallible;
use std::io::Read;
use std::os::unix::net::UnixStream;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use keel_core::envelope::decode;
use keel_core::frame::{slots_for, FrameKind, RequestId, SLOT_BYTES};
use keel_core::response::write_frame;
use keel_runtime::Runtime;

const HELLO: &[u8] = br#"{"message":"Hello, World!"}"#;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("ring");
    let port: u16 = args.get(2).and_then(|p| p.parse().ok()).unwrap_or(0);
    let threads: usize = args.get(3).and_then(|t| t.parse().ok()).unwrap_or(0);
    exit_on_sigterm();
    match mode {
        "ring" => ring(port, threads),
        "hyper" => bare_hyper(port, threads),
        other => {
            eprintln!("unknown mode {other:?}: use `ring` or `hyper`");
            std::process::exit(2);
        }
    }
}

/// Benchmarks stop servers with SIGTERM and expect a clean exit.
fn exit_on_sigterm() {
    std::thread::spawn(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).unwrap();
            term.recv().await;
        });
        std::process::exit(0);
    });
}

fn ring(port: u16, threads: usize) {
    let config = format!(r#"{{"hostname":"127.0.0.1","port":{port},"threads":{threads}}}"#);
    let runtime = Runtime::open(config.as_bytes()).expect("runtime starts");
    let mut doorbell = UnixStream::connect(runtime.doorbell_path().to_str().unwrap()).expect("doorbell");
    println!("ready {}", runtime.port());
    let (base, len) = runtime.request_ring();
    let slot_count = len / SLOT_BYTES;
    let (head_ptr, _) = runtime.response_buffer();
    let mut head = 0usize;
    let mut release = 0u32;
    let mut out = Vec::with_capacity(1 << 16);
    let mut byte = [0u8; 64];
    loop {
        let ready = runtime.poll(release).expect("poll");
        release = 0;
        if ready == 0 {
            if runtime.park() {
                let _ = doorbell.read(&mut byte);
            }
            continue;
        }
        out.clear();
        let mut walked = 0;
        while walked < ready {
            // SAFETY: the frame at `head` was reported ready and stays valid until released by
            // the next poll; frames never wrap.
            let frame = unsafe {
                let len = u32::from_le_bytes(*(base.add(head * SLOT_BYTES) as *const [u8; 4])) as usize;
                std::slice::from_raw_parts(base.add(head * SLOT_BYTES), len)
            };
            if u16::from_le_bytes([frame[4], frame[5]]) == FrameKind::Request as u16 {
                let word = |at: usize| u32::from_le_bytes(frame[at..at + 4].try_into().unwrap()) as usize;
                let envelope = decode(&frame[word(8)..word(8) + word(12)]).expect("envelope");
                let id = RequestId::from_u64(envelope.request_id);
                write_frame(&mut out, id, 200, &[(b"content-type", b"application/json")], HELLO);
            }
            let slots = slots_for(frame.len());
            walked += slots as u32;
            head = (head + slots) % slot_count;
        }
        // SAFETY: the response buffer is this consumer's to write between commits.
        unsafe { std::ptr::copy_nonoverlapping(out.as_ptr(), head_ptr, out.len()) };
        runtime.commit(out.len() as u32).expect("commit");
        release = ready;
    }
}

fn bare_hyper(port: u16, threads: usize) {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if threads > 0 {
        builder.worker_threads(threads);
    }
    builder.enable_all().build().unwrap().block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        println!("ready {}", listener.local_addr().unwrap().port());
        let mut http = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        http.http1().timer(TokioTimer::new()).keep_alive(true);
        let http = std::sync::Arc::new(http);
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let _ = stream.set_nodelay(true);
            let http = http.clone();
            tokio::spawn(async move {
                let service = service_fn(|_req| async {
                    let mut response = hyper::Response::new(Full::new(Bytes::from_static(HELLO)));
                    response.headers_mut().insert("content-type", "application/json".parse().unwrap());
                    Ok::<_, Infallible>(response)
                });
                let _ = http.serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
