// The one interface between the runtime-independent core and a runtime's FFI: the calls of
// crates/keel-ffi/include/keel.h, with memory views in place of pointers. bindings/bun
// implements it with bun:ffi, bindings/node with koffi; nothing above it knows which.

/** The ABI version this package is written against (KEEL_ABI_VERSION in keel.h). */
export const KEEL_ABI_VERSION = 1;

export interface Native {
  /** keel_abi_version(). */
  abiVersion(): number;
  /** keel_open(): starts a runtime. Throws an Error carrying keel_last_error() on failure. */
  open(configJson: string): NativeRuntime;
}

/**
 * One open runtime. The hot calls throw an Error carrying keel_last_error() when the library
 * returns a negative status; every call must come from the JS thread that opened it.
 */
export interface NativeRuntime {
  /** The TCP port the listener is bound to. */
  readonly port: number;
  /** The request ring (Rust writes, JS reads), a multiple of 64 bytes. */
  readonly requestRing: ArrayBuffer;
  /** The response buffer (JS writes, Rust reads in keel_commit). */
  readonly responseBuffer: ArrayBuffer;
  /** The doorbell's Unix socket; connect once. */
  readonly doorbellPath: string;
  /** Releases `release` slots, then returns how many slots from the head hold frames. */
  poll(release: number): number;
  /** After poll() returned 0: 0 = parked (wait for the doorbell), 1 = work arrived. */
  park(): number;
  /** Hands `bytes` of response frames to Rust; returns the number of frames read. */
  commit(bytes: number): number;
  /** Hands over one response frame held in JS memory. */
  respond(frame: Uint8Array): number;
  /**
   * The spilled body of the REQUEST frame whose first slot is `slotIndex`, as a view of native
   * memory that dies when the slot is released: copy it.
   */
  spilledBody(slotIndex: number, len: number): Uint8Array;
  /** Starts a graceful shutdown: the listener closes, in-flight requests get `graceMs`. */
  shutdown(graceMs: number): void;
  /** Frees the runtime; every view above is dead afterwards. */
  close(): void;
}

/** keel_status codes (keel.h), for error messages. */
const STATUS_NAMES: Record<number, string> = {
  1: "KEEL_ERR_INVALID_ARGUMENT",
  2: "KEEL_ERR_CONFIG",
  3: "KEEL_ERR_IO",
  4: "KEEL_ERR_STATE",
  5: "KEEL_ERR_FRAME",
  6: "KEEL_ERR_PANIC",
};

/** The Error a binding throws when `call` returned the negative status `status`. */
export function nativeError(call: string, status: number, lastError: string): Error {
  const code = Math.abs(status);
  const name = STATUS_NAMES[code] ?? `status ${status}`;
  return new Error(`${call} failed (${name}): ${lastError || "no message"}`);
}
