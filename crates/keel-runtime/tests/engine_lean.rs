//! The engine contract, served by the lean engine (the default).
const BASE: &str = r#""hostname":"127.0.0.1","port":0,"threads":2,"engine":"lean""#;
include!("engine/cases.rs");

/// The lean workers and the tokio thread beside them are named by their role, so that `top -H`
/// and profiles tell the threads serving sockets from the one that mostly sleeps. (Other tests
/// of this binary run lean runtimes too: names only, no counts.)
#[cfg(target_os = "linux")]
#[test]
fn threads_are_named_by_role() {
    let runtime = Runtime::open(format!("{{{BASE}}}").as_bytes()).expect("runtime starts");
    let names: Vec<String> = std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task lists this process's threads")
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect();
    assert!(names.iter().any(|n| n == "keel-io"), "a lean worker named keel-io among {names:?}");
    assert!(names.iter().any(|n| n == "keel-rt"), "the tokio thread named keel-rt among {names:?}");
    drop(runtime);
}

/// A head still incomplete at the header-read timeout is answered 408 before the connection
/// closes (an idle connection, with nothing sent, is closed silently: the idle-timeout case).
#[test]
fn an_incomplete_head_is_answered_408_before_the_close() {
    let (response, closed, _) =
        send_and_await_close(r#""headerReadTimeoutMs":300"#, b"GET /slow HTTP/1.1\r\nHost: t\r\n");
    assert!(closed);
    assert!(response.starts_with("HTTP/1.1 408 Request Timeout\r\n"), "{response}");
    assert!(response.contains("connection: close\r\n"), "{response}");
    assert!(
        response.ends_with(r#"{"code":"deadline_exceeded","message":"the request head was not complete within 300 ms"}"#),
        "{response}"
    );
}
