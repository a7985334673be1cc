//! The C ABI's error contract: status codes, last-error text, null handles.

use std::ptr;

use keel_ffi::*;

#[test]
fn abi_version_matches_the_header() {
    let header = include_str!("../include/keel.h");
    let expected = format!("#define KEEL_ABI_VERSION {}", keel_abi_version());
    assert!(header.contains(&expected), "keel.h and ABI_VERSION disagree");
}

#[test]
fn bad_config_is_a_config_error_with_a_message() {
    let json = br#"{"requestRingBytes": 1}"#;
    let mut rt = ptr::null_mut();
    // SAFETY: valid pointers and lengths.
    let status = unsafe { keel_open(json.as_ptr(), json.len() as u32, &mut rt) };
    assert_eq!(status, Status::Config as i32);
    assert!(rt.is_null());
    assert!(last_error().contains("requestRingBytes"), "{}", last_error());
}

#[test]
fn null_arguments_are_rejected_not_dereferenced() {
    // SAFETY: null handles are part of the contract: they must be reported, not used.
    unsafe {
        assert_eq!(keel_poll(ptr::null_mut(), 0), -(Status::InvalidArgument as i32));
        assert!(last_error().contains("null"));
        assert_eq!(keel_commit(ptr::null_mut(), 0), -(Status::InvalidArgument as i32));
        assert_eq!(keel_close(ptr::null_mut()), Status::InvalidArgument as i32);
        assert_eq!(keel_open(ptr::null(), 0, ptr::null_mut()), Status::InvalidArgument as i32);
    }
}

#[test]
fn a_runtime_opens_reports_its_views_and_closes() {
    let json = br#"{"hostname":"127.0.0.1","port":0,"threads":1}"#;
    let mut rt = ptr::null_mut();
    // SAFETY: valid pointers; the handle is used only until keel_close.
    unsafe {
        assert_eq!(keel_open(json.as_ptr(), json.len() as u32, &mut rt), 0, "{}", last_error());
        assert!(keel_port(rt) > 0);
        assert!(!keel_request_ring(rt).is_null());
        assert_eq!(keel_request_ring_len(rt) % 64, 0);
        assert!(keel_response_buffer_len(rt) >= 64 * 1024);
        assert_eq!(keel_poll(rt, 0), 0);
        assert_eq!(keel_poll(rt, 5), -(Status::State as i32), "releasing unreported slots");
        assert!(keel_spilled_body(rt, 0).is_null());
        let garbage = [0xffu8; 32];
        assert_eq!(keel_respond(rt, garbage.as_ptr(), 32), -(Status::Frame as i32));
        assert!(last_error().contains("malformed response frame"), "{}", last_error());
        assert_eq!(keel_shutdown(rt, 0), 0);
        assert_eq!(keel_close(rt), 0);
    }
}
