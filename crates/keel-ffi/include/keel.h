/*
 * keel.h — the C ABI of Keel's native runtime (libkeel_ffi).
 *
 * This header is the contract between the Rust runtime and its hosts (bun:ffi, koffi, or C).
 * Rules that hold for every function:
 *   - A keel_runtime is an opaque handle; only pointers to it cross the boundary.
 *   - Functions return a keel_status (0 = KEEL_OK) or, where documented, a non-negative value
 *     on success and a negative keel_status on failure.
 *   - After a failure, keel_last_error() describes it. The text belongs to the calling thread
 *     and stays valid until that thread's next Keel call.
 *   - No Rust panic crosses this boundary: one is caught and reported as KEEL_ERR_PANIC.
 *   - All consumer calls (poll, park, commit, respond, spilled_body) must come from one thread.
 * The memory layout of the rings and frames is documented in docs/ARCHITECTURE.md.
 */
#ifndef KEEL_H
#define KEEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change to this header or to the ring/frame layout. */
#define KEEL_ABI_VERSION 1

typedef enum keel_status {
  KEEL_OK = 0,
  KEEL_ERR_INVALID_ARGUMENT = 1, /* a null pointer, a bad length, bad UTF-8 or JSON */
  KEEL_ERR_CONFIG = 2,           /* the configuration is well-formed but not acceptable */
  KEEL_ERR_IO = 3,               /* binding the listener or the doorbell failed */
  KEEL_ERR_STATE = 4,            /* the call is not valid in the runtime's current state */
  KEEL_ERR_FRAME = 5,            /* a response frame is malformed */
  KEEL_ERR_PANIC = 6             /* a bug in Keel; the message says where */
} keel_status;

typedef struct keel_runtime keel_runtime;

/* The ABI version this library implements; compare with KEEL_ABI_VERSION. */
uint32_t keel_abi_version(void);

/* The calling thread's last error message, or "" when there is none. Never NULL. */
const char *keel_last_error(void);

/*
 * Starts a runtime: binds the listener, starts the I/O threads, creates the rings and the
 * doorbell socket. `config_json` is UTF-8 JSON (see docs/ARCHITECTURE.md, "Runtime config").
 * On success *out receives the handle, to be freed with keel_close.
 */
int32_t keel_open(const uint8_t *config_json, uint32_t config_len, keel_runtime **out);

/* The TCP port the listener is bound to (useful with port 0). */
uint32_t keel_port(const keel_runtime *rt);

/* The request ring: base address and size in bytes (a multiple of 64). */
uint8_t *keel_request_ring(const keel_runtime *rt);
uint32_t keel_request_ring_len(const keel_runtime *rt);

/* The response buffer JS writes response frames into. */
uint8_t *keel_response_buffer(const keel_runtime *rt);
uint32_t keel_response_buffer_len(const keel_runtime *rt);

/* NUL-terminated path of the doorbell Unix socket; connect to it once after keel_open. */
const char *keel_doorbell_path(const keel_runtime *rt);

/*
 * Releases `release_slots` slots that an earlier poll reported ready, then returns how many
 * slots from the new head hold complete frames (>= 0), or a negative keel_status.
 */
int32_t keel_poll(keel_runtime *rt, uint32_t release_slots);

/* After a poll returned 0: 0 = parked (wait for the doorbell), 1 = work arrived, do not wait. */
int32_t keel_park(keel_runtime *rt);

/* Address of the spilled body of the REQUEST frame whose first slot is `slot_index`, or NULL. */
uint8_t *keel_spilled_body(keel_runtime *rt, uint32_t slot_index);

/* Hands over `used_bytes` of response frames; returns frames read (>= 0) or a negative status. */
int32_t keel_commit(keel_runtime *rt, uint32_t used_bytes);

/* Hands over one response frame held in caller memory (for frames larger than the buffer). */
int32_t keel_respond(keel_runtime *rt, const uint8_t *frame, uint32_t frame_len);

/*
 * Begins a graceful shutdown: the listener closes at once (new connections are refused),
 * in-flight requests may finish for up to `grace_ms`, then remaining connections are closed.
 * When everything is closed a SHUTDOWN frame is published. Calling it twice is harmless.
 */
int32_t keel_shutdown(keel_runtime *rt, uint32_t grace_ms);

/* Stops the I/O threads and frees the runtime. The handle and every view are dead afterwards. */
int32_t keel_close(keel_runtime *rt);

#ifdef __cplusplus
}
#endif

#endif /* KEEL_H */
