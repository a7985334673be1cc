//! Status codes, the per-thread last error, and the panic guard every export runs inside.

use std::cell::RefCell;
use std::ffi::CString;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// `keel_status` in keel.h.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Status {
    Ok = 0,
    InvalidArgument = 1,
    Config = 2,
    Io = 3,
    State = 4,
    Frame = 5,
    Panic = 6,
}

thread_local! {
    pub(crate) static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records `message` as this thread's last error and returns `status` for chaining.
pub(crate) fn set_last_error(status: Status, message: &str) -> Status {
    let text = CString::new(message.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = text);
    status
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// Runs `f`, turning its error or a panic into a status code (0 on success).
pub(crate) fn guard(name: &str, f: impl FnOnce() -> Result<(), Status>) -> i32 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => Status::Ok as i32,
        Ok(Err(status)) => status as i32,
        Err(payload) => {
            set_last_error(Status::Panic, &format!("{name}: internal panic: {}", panic_message(&*payload)))
                as i32
        }
    }
}

/// Runs `f` for a call that returns a value; errors and panics yield `fallback`.
pub(crate) fn guard_value<T>(fallback: T, f: impl FnOnce() -> Result<T, Status>) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => value,
        Ok(Err(_)) => fallback,
        Err(payload) => {
            set_last_error(Status::Panic, &format!("internal panic: {}", panic_message(&*payload)));
            fallback
        }
    }
}

/// Runs `f` for a call that returns a count: the count on success, `-status` on failure.
pub(crate) fn guard_count(name: &str, f: impl FnOnce() -> Result<u32, Status>) -> i32 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(count)) => count.min(i32::MAX as u32) as i32,
        Ok(Err(status)) => -(status as i32),
        Err(payload) => {
            set_last_error(Status::Panic, &format!("{name}: internal panic: {}", panic_message(&*payload)));
            -(Status::Panic as i32)
        }
    }
}
