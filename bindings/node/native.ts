// The Native interface on Node, through koffi. Declarations mirror crates/keel-ffi/include/keel.h.

import koffi, { type LibraryHandle } from "koffi";
import { checkAbiVersion, nativeLibraryPath, openFailed } from "../core/library.js";
import { nativeError, type Native, type NativeRuntime } from "../core/native.js";

/** An opaque `keel_runtime *` as koffi hands it around. */
type Handle = unknown;

// Registered once per process: prototypes below refer to it by name.
koffi.opaque("keel_runtime");

/** Opens libkeel_ffi with koffi. Throws a clear Error when it is missing or incompatible. */
export function loadNodeNative(): Native {
  const path = nativeLibraryPath();
  let lib: Symbols;
  try {
    lib = declare(koffi.load(path));
  } catch (error) {
    throw openFailed(path, error);
  }
  checkAbiVersion(lib.abiVersion() as number, path);
  return {
    abiVersion: () => lib.abiVersion() as number,
    open(configJson) {
      const config = new TextEncoder().encode(configJson);
      const out: Handle[] = [null];
      const status = lib.open(config, config.length, out) as number;
      if (status !== 0) throw nativeError("keel_open", status, lib.lastError() as string);
      return new NodeRuntime(lib, out[0]);
    },
  };
}

function declare(lib: LibraryHandle) {
  return {
    abiVersion: lib.func("uint32_t keel_abi_version(void)"),
    lastError: lib.func("const char *keel_last_error(void)"),
    open: lib.func("int32_t keel_open(const uint8_t *config_json, uint32_t config_len, _Out_ keel_runtime **out)"),
    port: lib.func("uint32_t keel_port(const keel_runtime *rt)"),
    requestRing: lib.func("uint8_t *keel_request_ring(const keel_runtime *rt)"),
    requestRingLen: lib.func("uint32_t keel_request_ring_len(const keel_runtime *rt)"),
    responseBuffer: lib.func("uint8_t *keel_response_buffer(const keel_runtime *rt)"),
    responseBufferLen: lib.func("uint32_t keel_response_buffer_len(const keel_runtime *rt)"),
    doorbellPath: lib.func("const char *keel_doorbell_path(const keel_runtime *rt)"),
    poll: lib.func("int32_t keel_poll(keel_runtime *rt, uint32_t release_slots)"),
    park: lib.func("int32_t keel_park(keel_runtime *rt)"),
    spilledBody: lib.func("uint8_t *keel_spilled_body(keel_runtime *rt, uint32_t slot_index)"),
    commit: lib.func("int32_t keel_commit(keel_runtime *rt, uint32_t used_bytes)"),
    respond: lib.func("int32_t keel_respond(keel_runtime *rt, const uint8_t *frame, uint32_t frame_len)"),
    shutdown: lib.func("int32_t keel_shutdown(keel_runtime *rt, uint32_t grace_ms)"),
    close: lib.func("int32_t keel_close(keel_runtime *rt)"),
  };
}

type Symbols = ReturnType<typeof declare>;

class NodeRuntime implements NativeRuntime {
  readonly port: number;
  readonly requestRing: ArrayBuffer;
  readonly responseBuffer: ArrayBuffer;
  readonly doorbellPath: string;
  private readonly lib: Symbols;
  private readonly rt: Handle;

  constructor(lib: Symbols, rt: Handle) {
    this.lib = lib;
    this.rt = rt;
    this.port = lib.port(rt) as number;
    this.requestRing = view(lib.requestRing(rt), lib.requestRingLen(rt) as number);
    this.responseBuffer = view(lib.responseBuffer(rt), lib.responseBufferLen(rt) as number);
    this.doorbellPath = lib.doorbellPath(rt) as string;
  }

  poll(release: number): number {
    return this.check("keel_poll", this.lib.poll(this.rt, release) as number);
  }

  park(): number {
    return this.check("keel_park", this.lib.park(this.rt) as number);
  }

  commit(bytes: number): number {
    return this.check("keel_commit", this.lib.commit(this.rt, bytes) as number);
  }

  respond(frame: Uint8Array): number {
    return this.check("keel_respond", this.lib.respond(this.rt, frame, frame.length) as number);
  }

  spilledBody(slotIndex: number, len: number): Uint8Array {
    const address: unknown = this.lib.spilledBody(this.rt, slotIndex);
    if (address === null) throw nativeError("keel_spilled_body", -1, this.lib.lastError() as string);
    return new Uint8Array(view(address, len));
  }

  shutdown(graceMs: number): void {
    this.check("keel_shutdown", this.lib.shutdown(this.rt, graceMs) as number);
  }

  close(): void {
    this.check("keel_close", this.lib.close(this.rt) as number);
  }

  private check(call: string, result: number): number {
    if (result < 0) throw nativeError(call, result, this.lib.lastError() as string);
    return result;
  }
}

/** An ArrayBuffer over native memory (no copy: the runtime owns it). */
function view(address: unknown, len: number): ArrayBuffer {
  if (address === null) throw new Error("Keel's native library returned a null buffer.");
  return len === 0 ? new ArrayBuffer(0) : koffi.view(address, len);
}
