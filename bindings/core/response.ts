// Turns handler results into response frames in the shared response buffer
// (docs/ARCHITECTURE.md, "Response buffer").
//
// Frames are appended at 8-byte aligned offsets; `flush()` hands everything written so far to
// Rust with one commit, after which the whole buffer is free again. A frame that does not fit
// behind the ones already written triggers a commit and is retried at offset 0; a frame larger
// than the whole buffer is encoded into memory of its own and handed over with `respond`.
//
// A streamed response (docs/ARCHITECTURE.md, "Streamed responses") is one STREAM frame (status,
// headers, first bytes) followed by CHUNK frames carrying only body bytes, the last one with END.

import { JsonOut, type JsonWriter } from "./json-out.js";
import { encodeUtf8Into, SHORT_STRING } from "./text.js";

/** The two calls of the native runtime that take response frames. */
export interface ResponseSink {
  commit(bytes: number): number;
  respond(frame: Uint8Array): number;
}

/** Header shapes a plain-object result may use. */
export type HeadersLike =
  | Headers
  | ReadonlyArray<readonly [string, string]>
  | Readonly<Record<string, string | number | readonly string[] | undefined>>;

/** A response given as a plain object instead of a `Response`. */
export interface ResponseLike {
  /** 200 when absent. */
  status?: number;
  headers?: HeadersLike;
  /**
   * A string is sent as text/plain;charset=utf-8, bytes (Uint8Array, ArrayBuffer, any typed
   * array) as application/octet-stream, null or undefined as an empty body, and anything else
   * as JSON (application/json). A content-type in `headers` wins over these defaults.
   */
  body?: unknown;
}

/** The `flags` word of a response frame. */
export const FrameFlags = {
  /** A whole response: status, headers and the entire body. */
  Whole: 0,
  /** The head of a streamed response: status, headers and the first body bytes (maybe none). */
  Stream: 1,
  /** More body bytes of a streamed response; no status, no headers. */
  Chunk: 2,
  /** With Chunk: the last body bytes (maybe none) of a streamed response. */
  End: 4,
  /** With Chunk: the producer failed; Rust closes the connection so the client sees it fail. */
  Abort: 8,
} as const;

interface FrameFields {
  idLow: number;
  idHigh: number;
  status: number;
  headers: HeadersLike | undefined;
  body: Uint8Array | string;
  defaultContentType: string | null;
  flags: number;
  /** Set instead of `body` for a typed endpoint's reply: the generated writer and its value. */
  jsonWriter: JsonWriter | null;
  jsonValue: unknown;
}

const FRAME_HEADER_BYTES = 24;
const MAX_HEADER_FIELD = 0xffff; // name_len and value_len are u16

const TEXT_PLAIN = "text/plain;charset=utf-8";
const OCTET_STREAM = "application/octet-stream";
const APPLICATION_JSON = "application/json";

/** Longer string bodies are encoded up front so that their exact size is known. */
const LONG_STRING = 16 * 1024;

/** Extra room, beyond the body, given to a frame encoded outside the shared buffer. */
const OWN_FRAME_SLACK = 64 * 1024;

/** What `encode` returns when a generated JSON writer declined the value. */
const DECLINED = -2;

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY.buffer);

/** RFC 9110 tchar: the characters allowed in a header name. */
const TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TOKEN[c.charCodeAt(0)] = 1;
}

export class ResponseWriter {
  private readonly shared: Uint8Array;
  private readonly sharedView: DataView;
  private readonly sink: ResponseSink;
  /** End of the last complete frame in `shared` (8-byte aligned). */
  private used = 0;
  /** Set by `close()`: the buffer's memory is gone, so writes are dropped. */
  private closed = false;

  /** The response being written (reused: one writer, one response at a time). */
  private readonly frame: FrameFields = {
    idLow: 0,
    idHigh: 0,
    status: 0,
    headers: undefined,
    body: EMPTY,
    defaultContentType: null,
    flags: FrameFlags.Whole,
    jsonWriter: null,
    jsonValue: undefined,
  };
  private readonly json = new JsonOut();
  // Where the frame is being encoded, the cursor, and what has been seen so far.
  private out: Uint8Array;
  private outView: DataView;
  private pos = 0;
  private limit = 0;
  private fits = true;
  private headerCount = 0;
  private hasContentType = false;
  /**
   * The last header line written, as validated, lowercased bytes (name then value): answers
   * repeat the same few lines (`content-type: application/json`), which are then copied rather
   * than checked and converted character by character again.
   */
  private lastName: string | undefined = undefined;
  private lastValue = "";
  private lastLine: Uint8Array = EMPTY;
  private lastIsContentType = false;

  constructor(buffer: ArrayBuffer, sink: ResponseSink) {
    this.shared = new Uint8Array(buffer, 0, buffer.byteLength & ~7);
    this.sharedView = new DataView(buffer);
    this.sink = sink;
    this.out = this.shared;
    this.outView = this.sharedView;
  }

  /** Writes a plain-object result; see `ResponseLike.body` for how bodies are sent. */
  writeResponseLike(idLow: number, idHigh: number, result: ResponseLike): void {
    if (result === null || typeof result !== "object") {
      throw new TypeError(
        `A handler returned ${describe(result)}; return a Response or an object like { status, headers, body }.`,
      );
    }
    const { status = 200, headers, body } = result;
    if (result.status === undefined && headers === undefined && body === undefined && hasKeys(result)) {
      throw new TypeError(
        "A handler returned an object with none of status, headers or body; to send it as JSON, return { body: value }.",
      );
    }
    if (body === undefined || body === null) return this.write(idLow, idHigh, status, headers, EMPTY, null);
    if (typeof body === "string") return this.write(idLow, idHigh, status, headers, body, TEXT_PLAIN);
    if (body instanceof Uint8Array) return this.write(idLow, idHigh, status, headers, body, OCTET_STREAM);
    if (body instanceof ArrayBuffer) {
      return this.write(idLow, idHigh, status, headers, new Uint8Array(body), OCTET_STREAM);
    }
    if (ArrayBuffer.isView(body)) {
      const bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
      return this.write(idLow, idHigh, status, headers, bytes, OCTET_STREAM);
    }
    if (body instanceof ReadableStream || body instanceof Blob) {
      throw new TypeError("A response body that is a stream or a Blob must be returned inside a Response.");
    }
    const json = JSON.stringify(body);
    if (json === undefined) throw new TypeError(`A response body of ${describe(body)} cannot be sent as JSON.`);
    this.write(idLow, idHigh, status, headers, json, APPLICATION_JSON);
  }

  /**
   * Writes one frame. Throws a TypeError naming the problem for an invalid status or header;
   * nothing is written then. `defaultContentType` is added unless the headers carry one.
   * content-length and transfer-encoding from the headers are left out: `body` decides framing.
   * `flags` is FrameFlags.Stream for the head of a streamed response.
   */
  write(
    idLow: number,
    idHigh: number,
    status: number,
    headers: HeadersLike | undefined,
    body: Uint8Array | string,
    defaultContentType: string | null,
    flags: number = FrameFlags.Whole,
  ): void {
    const encoded = typeof body === "string" && body.length > LONG_STRING ? encoder.encode(body) : body;
    this.writeFrame(idLow, idHigh, status, headers, encoded, defaultContentType, flags, null, undefined);
  }

  /**
   * Writes a typed endpoint's reply as application/json, the body made by the writer `keel gen`
   * generated for its declared type, straight into the buffer. Returns false, having written
   * nothing of it, when the writer declines the value (it cannot vouch for writing what JSON.stringify
   * would); the caller then sends JSON.stringify's text with `write`. Throws like `write` for a
   * bad status or header.
   */
  writeJson(idLow: number, idHigh: number, status: number, headers: HeadersLike | undefined, value: unknown, jsonWriter: JsonWriter): boolean {
    return this.writeFrame(idLow, idHigh, status, headers, EMPTY, APPLICATION_JSON, FrameFlags.Whole, jsonWriter, value);
  }

  /** `write` and `writeJson`: false only when `jsonWriter` declined `jsonValue`. */
  private writeFrame(
    idLow: number, idHigh: number, status: number, headers: HeadersLike | undefined, body: Uint8Array | string,
    defaultContentType: string | null, flags: number, jsonWriter: JsonWriter | null, jsonValue: unknown,
  ): boolean {
    if (this.closed) return true;
    // A chunk frame has no status (its status word is 0).
    if ((flags & FrameFlags.Chunk) === 0 && (!Number.isInteger(status) || status < 200 || status > 599)) {
      throw new TypeError(`Response status must be an integer from 200 to 599, got ${describe(status)}.`);
    }
    const frame = this.frame;
    frame.idLow = idLow;
    frame.idHigh = idHigh;
    frame.status = status;
    frame.headers = headers;
    frame.body = body;
    frame.defaultContentType = defaultContentType;
    frame.flags = flags;
    frame.jsonWriter = jsonWriter;
    frame.jsonValue = jsonValue;
    try {
      return this.place();
    } finally {
      // Keep nothing of the response alive, nor the buffer the JSON writer last wrote into.
      frame.headers = undefined;
      frame.body = EMPTY;
      frame.jsonWriter = null;
      frame.jsonValue = undefined;
      if (jsonWriter !== null) this.json.start(EMPTY, EMPTY_VIEW, 0, 0);
    }
  }

  /** Writes the next body bytes of a streamed response; `last` ends it. */
  writeChunk(idLow: number, idHigh: number, body: Uint8Array, last: boolean): void {
    this.write(idLow, idHigh, 0, undefined, body, null, last ? FrameFlags.Chunk | FrameFlags.End : FrameFlags.Chunk);
  }

  /** Fails a streamed response whose head already went out (its producer threw). */
  writeAbort(idLow: number, idHigh: number): void {
    this.write(idLow, idHigh, 0, undefined, EMPTY, null, FrameFlags.Chunk | FrameFlags.Abort);
  }

  /** Hands every frame written so far to Rust (one commit). */
  flush(): void {
    if (this.used === 0 || this.closed) return;
    const bytes = this.used;
    this.used = 0; // Rust has consumed the buffer when commit returns, even when it throws
    this.sink.commit(bytes);
  }

  /** The native runtime is gone: drop every later write. */
  close(): void {
    this.closed = true;
    this.used = 0;
  }

  /**
   * Encodes `frame` behind the frames already written, at offset 0 after a commit, or alone.
   * False when a JSON writer declined the value: nothing was written.
   */
  private place(): boolean {
    // A writer declines a value whatever the room, but it runs only once the head has fit.
    let end = this.encode(this.shared, this.sharedView, this.used);
    if (end === -1 && this.used > 0) {
      this.flush();
      end = this.encode(this.shared, this.sharedView, 0);
    }
    if (end === DECLINED) return false;
    if (end >= 0) {
      this.used = align8(end);
      return true;
    }
    // Larger than the whole buffer: encode it into memory of its own and hand that over.
    const frame = this.frame;
    if (typeof frame.body === "string") frame.body = encoder.encode(frame.body);
    const guess = frame.jsonWriter === null ? frame.body.length : this.shared.length;
    for (let size = guess + OWN_FRAME_SLACK; ; size *= 2) {
      const own = new Uint8Array(size);
      end = this.encode(own, new DataView(own.buffer), 0);
      if (end === DECLINED) return false;
      if (end >= 0) {
        this.sink.respond(own.subarray(0, end));
        return true;
      }
    }
  }

  /**
   * Encodes `frame` into `out` at `at`; returns where it ends, -1 when it does not fit, or
   * DECLINED when its JSON writer declined the value.
   */
  private encode(out: Uint8Array, view: DataView, at: number): number {
    const frame = this.frame;
    this.out = out;
    this.outView = view;
    this.pos = at + FRAME_HEADER_BYTES;
    this.limit = out.length;
    this.fits = this.pos <= this.limit;
    this.headerCount = 0;
    this.hasContentType = false;

    if (frame.headers !== undefined) this.headers(frame.headers);
    if (!this.hasContentType && frame.defaultContentType !== null) {
      this.header("content-type", frame.defaultContentType);
    }
    if (this.headerCount > 0xffff) throw new TypeError("A response may carry at most 65535 headers.");
    const bodyStart = this.pos;
    const body = frame.body;
    if (this.fits) {
      if (frame.jsonWriter !== null) {
        const json = this.json;
        json.start(out, view, this.pos, this.limit);
        if (!frame.jsonWriter(json, frame.jsonValue)) return DECLINED;
        if (json.fits) this.pos = json.pos;
        else this.fits = false;
      } else if (typeof body === "string") this.text(body);
      else if (this.pos + body.length <= this.limit) {
        out.set(body, this.pos);
        this.pos += body.length;
      } else this.fits = false;
    }
    if (!this.fits) return -1;

    view.setUint32(at, this.pos - at, true);
    view.setUint16(at + 4, frame.status, true);
    view.setUint16(at + 6, this.headerCount, true);
    view.setUint32(at + 8, frame.idLow, true);
    view.setUint32(at + 12, frame.idHigh, true);
    view.setUint32(at + 16, this.pos - bodyStart, true);
    view.setUint32(at + 20, frame.flags, true);
    return this.pos;
  }

  private headers(headers: HeadersLike): void {
    if (headers instanceof Headers) {
      // Iterating a Headers yields set-cookie lines one by one on current runtimes, but older
      // ones combined them; getSetCookie() is the one reliable source for them.
      for (const [name, value] of headers) if (name !== "set-cookie") this.header(name, value);
      for (const cookie of headers.getSetCookie()) this.header("set-cookie", cookie);
    } else if (Array.isArray(headers)) {
      for (const pair of headers as ReadonlyArray<readonly [string, string]>) this.header(pair[0], pair[1]);
    } else {
      const record = headers as Readonly<Record<string, string | number | readonly string[] | undefined>>;
      for (const name in record) {
        const value = record[name];
        if (value === undefined) continue;
        if (typeof value === "object") for (const item of value) this.header(name, item);
        else this.header(name, typeof value === "string" ? value : String(value));
      }
    }
  }

  /** Validates and appends one header: name lowercased, value as Latin-1 bytes. */
  private header(name: string, value: string): void {
    if (name === this.lastName && value === this.lastValue) return this.repeatLastHeader();
    if (typeof name !== "string" || typeof value !== "string") {
      throw new TypeError(`Response header ${describe(name)} must have a string name and a string value.`);
    }
    const nameLen = name.length;
    const valueLen = value.length;
    if (nameLen === 0 || nameLen > MAX_HEADER_FIELD) throw invalidName(name);
    if (valueLen > MAX_HEADER_FIELD) {
      throw new TypeError(`Response header "${name}" has a ${valueLen}-byte value; the limit is 65535 bytes.`);
    }
    const isContentType = equalsIgnoringCase(name, "content-type");
    if (isContentType) this.hasContentType = true;
    else if (equalsIgnoringCase(name, "content-length") || equalsIgnoringCase(name, "transfer-encoding")) return;
    const out = this.out;
    const start = this.pos;
    let p = start + 4;
    const need = 4 + nameLen + valueLen;
    const room = this.fits && start + need <= this.limit;
    for (let i = 0; i < nameLen; i++) {
      const c = name.charCodeAt(i);
      if (c > 127 || TOKEN[c] === 0) throw invalidName(name);
      if (room) out[p++] = c >= 65 && c <= 90 ? c + 32 : c;
    }
    for (let i = 0; i < valueLen; i++) {
      const c = value.charCodeAt(i);
      if (c > 255 || (c < 32 && c !== 9) || c === 127) {
        throw new TypeError(
          `Response header "${name}" has a value with character code ${c} at index ${i}; ` +
            "values may hold tab, visible characters and Latin-1 only (no CR, LF or NUL).",
        );
      }
      if (room) out[p++] = c;
    }
    this.headerCount++;
    if (!room) {
      this.fits = false;
      return;
    }
    this.outView.setUint16(start, nameLen, true);
    this.outView.setUint16(start + 2, valueLen, true);
    this.pos = p;
    this.lastName = name;
    this.lastValue = value;
    this.lastLine = out.slice(start + 4, p);
    this.lastIsContentType = isContentType;
  }

  /** Appends the header line `header()` wrote last, already validated and converted. */
  private repeatLastHeader(): void {
    const line = this.lastLine;
    if (this.lastIsContentType) this.hasContentType = true;
    this.headerCount++;
    const start = this.pos;
    const end = start + 4 + line.length;
    if (!this.fits || end > this.limit) {
      this.fits = false;
      return;
    }
    const out = this.out;
    for (let i = 0, p = start + 4; i < line.length; i++, p++) out[p] = line[i]!;
    this.outView.setUint16(start, this.lastName!.length, true);
    this.outView.setUint16(start + 2, this.lastValue.length, true);
    this.pos = end;
  }

  /** Appends a string body as UTF-8: a plain loop while it is short ASCII, natively for the rest. */
  private text(body: string): void {
    const out = this.out;
    let p = this.pos;
    let i = 0;
    if (body.length <= SHORT_STRING && p + body.length <= this.limit) {
      for (; i < body.length; i++) {
        const c = body.charCodeAt(i);
        if (c >= 0x80) break;
        out[p++] = c;
      }
    }
    if (i < body.length) {
      const written = encodeUtf8Into(out, i === 0 ? body : body.slice(i), p, this.limit);
      if (written < 0) {
        this.fits = false;
        return;
      }
      p += written;
    }
    this.pos = p;
  }
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

function hasKeys(value: object): boolean {
  for (const _ in value) return true;
  return false;
}

function invalidName(name: string): TypeError {
  return new TypeError(
    `Response header name ${JSON.stringify(name)} is not a valid HTTP token (letters, digits and !#$%&'*+-.^_\`|~).`,
  );
}

/** Whether `name` is `lower` (lowercase ASCII) but for the case of its ASCII letters. */
function equalsIgnoringCase(name: string, lower: string): boolean {
  const length = lower.length;
  if (name.length !== length) return false;
  for (let i = 0; i < length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : `an object (${value.constructor?.name ?? "no prototype"})`;
}
