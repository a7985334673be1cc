// The Native interface on Bun, through bun:ffi. Signatures mirror crates/keel-ffi/include/keel.h.

import { dlopen, FFIType, toArrayBuffer, type Pointer } from "bun:ffi";
import { checkAbiVersion, nativeLibraryPath, openFailed } from "../core/library.js";
import { nativeError, type Native, type NativeRuntime } from "../core/native.js";

const { ptr, u32, i32, cstring } = FFIType;

const SIGNATURES = {
  keel_abi_version: { args: [], returns: u32 },
  keel_last_error: { args: [], returns: cstring },
  keel_open: { args: [ptr, u32, ptr], returns: i32 },
  keel_port: { args: [ptr], returns: u32 },
  keel_request_ring: { args: [ptr], returns: ptr },
  keel_request_ring_len: { args: [ptr], returns: u32 },
  keel_response_buffer: { args: [ptr], returns: ptr },
  keel_response_buffer_len: { args: [ptr], returns: u32 },
  keel_doorbell_path: { args: [ptr], returns: cstring },
  keel_poll: { args: [ptr, u32], returns: i32 },
  keel_park: { args: [ptr], returns: i32 },
  keel_spilled_body: { args: [ptr, u32], returns: ptr },
  keel_commit: { args: [ptr, u32], returns: i32 },
  keel_respond: { args: [ptr, ptr, u32], returns: i32 },
  keel_shutdown: { args: [ptr, u32], returns: i32 },
  keel_close: { args: [ptr], returns: i32 },
} as const;

type Symbols = ReturnType<typeof dlopen<typeof SIGNATURES>>["symbols"];

/** Opens libkeel_ffi with bun:ffi. Throws a clear Error when it is missing or incompatible. */
export function loadBunNative(): Native {
  const path = nativeLibraryPath();
  let symbols: Symbols;
  try {
    symbols = dlopen(path, SIGNATURES).symbols;
  } catch (error) {
    throw openFailed(path, error);
  }
  checkAbiVersion(symbols.keel_abi_version(), path);
  const lastError = (): string => String(symbols.keel_last_error() ?? "");
  return {
    abiVersion: () => symbols.keel_abi_version(),
    open(configJson) {
      const config = new TextEncoder().encode(configJson);
      const out = new BigUint64Array(1);
      const status = symbols.keel_open(config, config.length, out);
      if (status !== 0) throw nativeError("keel_open", status, lastError());
      return new BunRuntime(symbols, Number(out[0]) as Pointer, lastError);
    },
  };
}

class BunRuntime implements NativeRuntime {
  readonly port: number;
  readonly requestRing: ArrayBuffer;
  readonly responseBuffer: ArrayBuffer;
  readonly doorbellPath: string;
  private readonly lib: Symbols;
  private readonly rt: Pointer;
  private readonly lastError: () => string;

  constructor(lib: Symbols, rt: Pointer, lastError: () => string) {
    this.lib = lib;
    this.rt = rt;
    this.lastError = lastError;
    this.port = lib.keel_port(rt);
    this.requestRing = view(lib.keel_request_ring(rt), lib.keel_request_ring_len(rt));
    this.responseBuffer = view(lib.keel_response_buffer(rt), lib.keel_response_buffer_len(rt));
    this.doorbellPath = String(lib.keel_doorbell_path(rt));
  }

  poll(release: number): number {
    return this.check("keel_poll", this.lib.keel_poll(this.rt, release));
  }

  park(): number {
    return this.check("keel_park", this.lib.keel_park(this.rt));
  }

  commit(bytes: number): number {
    return this.check("keel_commit", this.lib.keel_commit(this.rt, bytes));
  }

  respond(frame: Uint8Array): number {
    return this.check("keel_respond", this.lib.keel_respond(this.rt, frame, frame.length));
  }

  spilledBody(slotIndex: number, len: number): Uint8Array {
    const address = this.lib.keel_spilled_body(this.rt, slotIndex);
    if (address === null) throw nativeError("keel_spilled_body", -1, this.lastError());
    return new Uint8Array(view(address, len));
  }

  shutdown(graceMs: number): void {
    this.check("keel_shutdown", this.lib.keel_shutdown(this.rt, graceMs));
  }

  close(): void {
    this.check("keel_close", this.lib.keel_close(this.rt));
  }

  private check(call: string, result: number): number {
    if (result < 0) throw nativeError(call, result, this.lastError());
    return result;
  }
}

/** An ArrayBuffer over native memory (no copy, no finalizer: the runtime owns it). */
function view(address: Pointer | bigint | null, len: number): ArrayBuffer {
  if (address === null) throw new Error("Keel's native library returned a null buffer.");
  return len === 0 ? new ArrayBuffer(0) : toArrayBuffer(address as Pointer, 0, len);
}
