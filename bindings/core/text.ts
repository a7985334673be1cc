// Byte ↔ string conversion for fields read out of shared memory and bodies written into it.
//
// Most of what crosses the ring is short ASCII (methods, paths, header names and values). Both
// runtimes' Buffer has native `latin1Slice` and `utf8Slice` methods that accept any Uint8Array as
// `this` and return one flat string. Measured on Bun 1.4 and Node 20 (2026-11-22, each string
// then serialized by JSON.stringify, as an echoed field is): on Bun they beat joining char codes
// at every length (4 bytes: 45 against 65 ns; 32: 60 against 260), because JSC builds a rope of
// one-character strings that must be flattened later. V8 copies short joins into flat strings,
// so on Node the char-code loop wins up to 8 bytes (4 bytes: 80 against 105 ns) and the native
// call beyond. TextDecoder is the fallback where Buffer or its slicers are missing.
//
// Short fields repeat: a header value, an enum member, a query parameter's name, the same few
// words across requests. Fields of at most RECENT_MAX bytes that are ASCII, or any bytes read as
// Latin-1, are looked up in a small table of recent strings by a hash of their bytes, and the
// string found is returned when its code units equal the bytes one for one: no decoding, no new
// string. Measured with each string then serialized by JSON.stringify (2026-11-22, Xeon VM): on
// Bun 85 against 138 ns per 4-11 byte string (native call), on Node 250 against 281 (char codes).
// A cached string is ASCII or Latin-1 text whose bytes it equals code unit for code unit, so a
// UTF-8 lookup, which reaches the comparison only for all-ASCII bytes, can never match a string
// with a code unit of 0x80 or above.

interface NativeBufferMethods {
  latin1Slice(this: Uint8Array, start: number, end: number): string;
  utf8Slice(this: Uint8Array, start: number, end: number): string;
  utf8Write(this: Uint8Array, text: string, offset: number, length: number): number;
}

const buffer = (globalThis as { Buffer?: { prototype: Partial<NativeBufferMethods>; byteLength?(text: string, encoding: "utf8"): number } }).Buffer;
const bufferPrototype = buffer?.prototype;
const nativeLatin1 = typeof bufferPrototype?.latin1Slice === "function" ? bufferPrototype.latin1Slice : undefined;
const nativeUtf8 = typeof bufferPrototype?.utf8Slice === "function" ? bufferPrototype.utf8Slice : undefined;
const nativeUtf8Write = typeof bufferPrototype?.utf8Write === "function" && typeof buffer?.byteLength === "function" ? bufferPrototype.utf8Write : undefined;
const encoder = new TextEncoder();

/** Fields of at most this many bytes are joined from char codes (see above); 0 on Bun. */
const CHAR_LOOP_MAX = "Bun" in globalThis ? 0 : 8;

/** A field's bytes are data: a leading U+FEFF is kept (TextDecoder would drop it by default). */
const fieldDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
/** A body read as text follows the Fetch rule: a leading byte order mark is dropped. */
const bodyDecoder = new TextDecoder("utf-8");

/** Fields of at most this many bytes may be served from the recent strings. */
const RECENT_MAX = 24;
/** Slots of the recent-strings table (a power of two); a slot keeps the last string hashed to it. */
const RECENT_SLOTS = 256;
const recent: Array<string | undefined> = new Array<string | undefined>(RECENT_SLOTS).fill(undefined);

/** Decodes `len` bytes of UTF-8 starting at `start`; invalid sequences become U+FFFD. */
export function decodeUtf8(bytes: Uint8Array, start: number, len: number): string {
  if (len > RECENT_MAX) return decodeUtf8Natively(bytes, start, len);
  let hash = len;
  for (let i = start, end = start + len; i < end; i++) {
    const byte = bytes[i]!;
    if (byte >= 0x80) return decodeUtf8Natively(bytes, start, len);
    hash = (Math.imul(hash, 31) + byte) | 0;
  }
  return recentOrDecoded(bytes, start, len, hash);
}

/** The recent string spelling these bytes (one code unit each), else their Latin-1 decoding. */
function recentOrDecoded(bytes: Uint8Array, start: number, len: number, hash: number): string {
  const slot = hash & (RECENT_SLOTS - 1);
  const seen = recent[slot];
  if (seen !== undefined && bytesEqualLatin1(bytes, start, len, seen)) return seen;
  const text = decodeLatin1Fresh(bytes, start, len);
  recent[slot] = text;
  return text;
}

function decodeUtf8Natively(bytes: Uint8Array, start: number, len: number): string {
  if (nativeUtf8 !== undefined) return nativeUtf8.call(bytes, start, start + len);
  return fieldDecoder.decode(bytes.subarray(start, start + len));
}

/**
 * Strings up to this length are written by a plain ASCII loop before falling back to
 * `encodeUtf8Into` (the response writer's bodies, JsonOut's strings). Measured on Node 20 and
 * Bun 1.4 (2026-11-22) against encodeInto: the loop wins below ~16-32 characters only; at 64
 * encodeInto is already 2-4x faster, at 235 (a typical JSON reply) 4-8x.
 */
export const SHORT_STRING = 32;

/**
 * Writes `text` as UTF-8 into `out` from `start`, before `end` (lone surrogates become U+FFFD, as
 * TextEncoder writes them). Returns the bytes written, or -1 when the text did not fit.
 *
 * Buffer's native `utf8Write` takes any Uint8Array as `this` and needs no subarray: for a
 * 235-byte JSON reply, 45 against 115 ns on Bun and 135 against 188 on Node (2026-11-22, Xeon
 * VM). It writes whole characters only, so a text that did not fit stops less than 4 bytes
 * short of `end`; only then is its length counted.
 */
export function encodeUtf8Into(out: Uint8Array, text: string, start: number, end: number): number {
  const room = end - start;
  if (nativeUtf8Write === undefined) {
    const { read, written } = encoder.encodeInto(text, out.subarray(start, end));
    return read < text.length ? -1 : written;
  }
  const written = nativeUtf8Write.call(out, text, start, room);
  if (room - written < 4 && buffer!.byteLength!(text, "utf8") !== written) return -1;
  return written;
}

/** A request body as text, the way `Request.text()` reads it (UTF-8, leading BOM dropped). */
export function decodeBodyText(bytes: Uint8Array): string {
  return bodyDecoder.decode(bytes);
}

/**
 * Decodes `len` bytes as Latin-1, one byte per UTF-16 code unit: the Fetch "ByteString"
 * reading of header values. It is lossless, so a value echoed back into a response header
 * reproduces the bytes received. (TextDecoder("latin1") is windows-1252, hence not used.)
 */
export function decodeLatin1(bytes: Uint8Array, start: number, len: number): string {
  if (len > RECENT_MAX) return decodeLatin1Fresh(bytes, start, len);
  let hash = len;
  for (let i = start, end = start + len; i < end; i++) hash = (Math.imul(hash, 31) + bytes[i]!) | 0;
  return recentOrDecoded(bytes, start, len, hash);
}

function decodeLatin1Fresh(bytes: Uint8Array, start: number, len: number): string {
  if (len <= CHAR_LOOP_MAX) {
    let text = "";
    for (let i = start, end = start + len; i < end; i++) text += String.fromCharCode(bytes[i]!);
    return text;
  }
  if (nativeLatin1 !== undefined) return nativeLatin1.call(bytes, start, start + len);
  const parts: string[] = [];
  const CHUNK = 8192; // bounded so that apply() never meets the engine's argument limit
  for (let at = start, end = start + len; at < end; at += CHUNK) {
    const chunk = bytes.subarray(at, Math.min(at + CHUNK, end));
    parts.push(String.fromCharCode.apply(null, chunk as unknown as number[]));
  }
  return parts.join("");
}

/**
 * Whether the bytes at `start`, read as Latin-1 (one code unit per byte), spell `text` exactly;
 * ASCII text included, ASCII being Latin-1's first half.
 */
export function bytesEqualLatin1(bytes: Uint8Array, start: number, len: number, text: string): boolean {
  if (len !== text.length) return false;
  for (let i = 0; i < len; i++) {
    if (bytes[start + i] !== text.charCodeAt(i)) return false;
  }
  return true;
}
