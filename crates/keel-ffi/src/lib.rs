//! The C ABI of Keel (`include/keel.h`): argument checks, status codes, the last-error
//! message, and a `catch_unwind` around every call so that no panic crosses the boundary.
//! Everything else lives in `keel-runtime`.

mod status;

use std::ffi::{c_char, CStr};
use std::ptr;
use std::time::Duration;

use keel_runtime::Runtime;

pub use status::Status;
use status::{guard, guard_count, guard_value, set_last_error, LAST_ERROR};

/// Rust-side allocations only (the host's own heap is untouched). The runtime allocates per
/// request (hyper's buffers, headers, response bodies) from several threads; mimalloc's
/// thread-local free lists beat glibc malloc there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Must equal `KEEL_ABI_VERSION` in keel.h.
pub const ABI_VERSION: u32 = 1;

/// The opaque handle C sees as `keel_runtime`.
pub struct KeelRuntime(Runtime);

/// Borrows the runtime behind a handle, or reports a null handle.
///
/// # Safety
/// `rt` must be null or a handle from `keel_open` not yet passed to `keel_close`.
unsafe fn runtime<'a>(rt: *const KeelRuntime) -> Result<&'a Runtime, Status> {
    // SAFETY: guaranteed by the caller: non-null handles point at a live KeelRuntime.
    match unsafe { rt.as_ref() } {
        Some(rt) => Ok(&rt.0),
        None => Err(set_last_error(Status::InvalidArgument, "the runtime handle is null")),
    }
}

#[no_mangle]
pub extern "C" fn keel_abi_version() -> u32 {
    ABI_VERSION
}

#[no_mangle]
pub extern "C" fn keel_last_error() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

/// # Safety
/// `config_json` must point at `config_len` readable bytes; `out` must be writable.
#[no_mangle]
pub unsafe extern "C" fn keel_open(config_json: *const u8, config_len: u32, out: *mut *mut KeelRuntime) -> i32 {
    guard("keel_open", || {
        if out.is_null() {
            return Err(set_last_error(Status::InvalidArgument, "keel_open: `out` is null"));
        }
        if config_json.is_null() {
            return Err(set_last_error(Status::InvalidArgument, "keel_open: `config_json` is null"));
        }
        // SAFETY: the caller promises `config_len` readable bytes at `config_json`.
        let json = unsafe { std::slice::from_raw_parts(config_json, config_len as usize) };
        let runtime = Runtime::open(json).map_err(|e| {
            let status = match e {
                keel_runtime::OpenError::Config(_) => Status::Config,
                keel_runtime::OpenError::Io(_) => Status::Io,
            };
            set_last_error(status, &e.to_string())
        })?;
        // SAFETY: `out` is non-null and writable per the caller's contract.
        unsafe { *out = Box::into_raw(Box::new(KeelRuntime(runtime))) };
        Ok(())
    })
}

/// # Safety
/// `rt` must be a live handle or null.
#[no_mangle]
pub unsafe extern "C" fn keel_port(rt: *const KeelRuntime) -> u32 {
    // SAFETY: forwarded caller contract.
    guard_value(0, || unsafe { runtime(rt) }.map(|rt| rt.port() as u32))
}

/// # Safety
/// `rt` must be a live handle or null.
#[no_mangle]
pub unsafe extern "C" fn keel_request_ring(rt: *const KeelRuntime) -> *mut u8 {
    // SAFETY: forwarded caller contract.
    guard_value(ptr::null_mut(), || unsafe { runtime(rt) }.map(|rt| rt.request_ring().0))
}

/// # Safety
/// `rt` must be a live handle or null.
#[no_mangle]
pub unsafe extern "C" fn keel_request_ring_len(rt: *const KeelRuntime) -> u32 {
    // SAFETY: forwarded caller contract.
    guard_value(0, || unsafe { runtime(rt) }.map(|rt| rt.request_ring().1 as u32))
}

/// # Safety
/// `rt` must be a live handle or null.
#[no_mangle]
pub unsafe extern "C" fn keel_response_buffer(rt: *const KeelRuntime) -> *mut u8 {
    // SAFETY: forwarded caller contract.
    guard_value(ptr::null_mut(), || unsafe { runtime(rt) }.map(|rt| rt.response_buffer().0))
}

/// # Safety
/// `rt` must be a live handle or null.
#[no_mangle]
pub unsafe extern "C" fn keel_response_buffer_len(rt: *const KeelRuntime) -> u32 {
    // SAFETY: forwarded caller contract.
    guard_value(0, || unsafe { runtime(rt) }.map(|rt| rt.response_buffer().1 as u32))
}

/// # Safety
/// `rt` must be a live handle or null. The string lives as long as the runtime.
#[no_mangle]
pub unsafe extern "C" fn keel_doorbell_path(rt: *const KeelRuntime) -> *const c_char {
    // SAFETY: forwarded caller contract.
    guard_value(c"".as_ptr(), || unsafe { runtime(rt) }.map(|rt| rt.doorbell_path().as_ptr()))
}

/// # Safety
/// `rt` must be a live handle or null; call from the consumer thread only.
#[no_mangle]
pub unsafe extern "C" fn keel_poll(rt: *mut KeelRuntime, release_slots: u32) -> i32 {
    guard_count("keel_poll", || {
        // SAFETY: forwarded caller contract.
        let rt = unsafe { runtime(rt) }?;
        rt.poll(release_slots).map_err(|e| set_last_error(Status::State, &format!("keel_poll: {e:?}")))
    })
}

/// # Safety
/// `rt` must be a live handle or null; call from the consumer thread only.
#[no_mangle]
pub unsafe extern "C" fn keel_park(rt: *mut KeelRuntime) -> i32 {
    guard_count("keel_park", || {
        // SAFETY: forwarded caller contract.
        let rt = unsafe { runtime(rt) }?;
        Ok(if rt.park() { 0 } else { 1 })
    })
}

/// # Safety
/// `rt` must be a live handle or null; call from the consumer thread only.
#[no_mangle]
pub unsafe extern "C" fn keel_spilled_body(rt: *mut KeelRuntime, slot_index: u32) -> *mut u8 {
    guard_value(ptr::null_mut(), || {
        // SAFETY: forwarded caller contract.
        let rt = unsafe { runtime(rt) }?;
        match rt.spilled_body(slot_index) {
            Some(body) => Ok(body as *mut u8),
            None => Err(set_last_error(
                Status::State,
                &format!("keel_spilled_body: no ready frame with a spilled body at slot {slot_index}"),
            )),
        }
    })
}

/// # Safety
/// `rt` must be a live handle or null; call from the consumer thread only.
#[no_mangle]
pub unsafe extern "C" fn keel_commit(rt: *mut KeelRuntime, used_bytes: u32) -> i32 {
    guard_count("keel_commit", || {
        // SAFETY: forwarded caller contract.
        let rt = unsafe { runtime(rt) }?;
        rt.commit(used_bytes).map_err(|e| set_last_error(Status::Frame, &e.to_string()))
    })
}

/// # Safety
/// `rt` must be a live handle or null; `frame` must point at `frame_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn keel_respond(rt: *mut KeelRuntime, frame: *const u8, frame_len: u32) -> i32 {
    guard_count("keel_respond", || {
        // SAFETY: forwarded caller contract.
        let rt = unsafe { runtime(rt) }?;
        if frame.is_null() {
            return Err(set_last_error(Status::InvalidArgument, "keel_respond: `frame` is null"));
        }
        // SAFETY: the caller promises `frame_len` readable bytes at `frame`.
        let bytes = unsafe { std::slice::from_raw_parts(frame, frame_len as usize) };
        rt.respond(bytes).map_err(|e| set_last_error(Status::Frame, &e.to_string()))
    })
}

/// # Safety
/// `rt` must be a live handle or null.
#[no_mangle]
pub unsafe extern "C" fn keel_shutdown(rt: *mut KeelRuntime, grace_ms: u32) -> i32 {
    guard("keel_shutdown", || {
        // SAFETY: forwarded caller contract.
        let rt = unsafe { runtime(rt) }?;
        rt.shutdown(Duration::from_millis(grace_ms as u64));
        Ok(())
    })
}

/// # Safety
/// `rt` must be a live handle or null; it is invalid after this call.
#[no_mangle]
pub unsafe extern "C" fn keel_close(rt: *mut KeelRuntime) -> i32 {
    guard("keel_close", || {
        if rt.is_null() {
            return Err(set_last_error(Status::InvalidArgument, "the runtime handle is null"));
        }
        // SAFETY: a non-null handle came from Box::into_raw in keel_open and, per the
        // contract, is closed only once.
        drop(unsafe { Box::from_raw(rt) });
        Ok(())
    })
}

/// Reads the last error as a Rust string (for tests).
pub fn last_error() -> String {
    // SAFETY: keel_last_error returns a valid NUL-terminated string owned by this thread.
    unsafe { CStr::from_ptr(keel_last_error()) }.to_string_lossy().into_owned()
}
