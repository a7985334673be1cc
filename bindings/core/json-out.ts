// Where the response writers `keel gen` generates (codegen/emit/writers.ts) put their JSON: the
// UTF-8 bytes go straight into the response buffer, behind the frame's head, with no string in
// between. Each method writes one JSON token exactly as JSON.stringify would spell it.
//
// Room is checked by every method. Once something did not fit, `limit` drops to -1 so that the
// rest of the value is skipped cheaply; the response writer then sees `fits` false and tries
// again in a larger space. The generated code checks the value's types itself: these methods
// take values of the right type only.

import { encodeUtf8Into, SHORT_STRING } from "./text.js";

/** Characters JSON.stringify escapes, and surrogates (it escapes the lone ones). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * The contract between this class and the writers `keel gen` emits: bumped whenever a change
 * here would break writers generated before it. accessors.js exports the version its writers
 * were made for, and the runtime uses them only when it is this one.
 */
export const JSON_OUT_VERSION = 2;

// "null", "true" and the first four bytes of "false", as JsonOut.word writes them.
const NULL_WORD = 0x6c6c756e;
const TRUE_WORD = 0x65757274;
const FALS_WORD = 0x736c6166;

/**
 * The generated writer of one declared type: writes what JSON.stringify(value) would, or
 * returns false when it cannot vouch for that (codegen/emit/writers.ts).
 */
export type JsonWriter = (out: JsonOut, value: unknown) => boolean;

export class JsonOut {
  bytes: Uint8Array = new Uint8Array(0);
  /** Over the same memory as `bytes` (its buffer, from offset 0). */
  view: DataView = new DataView(new ArrayBuffer(0));
  /** Where the next byte goes. */
  pos = 0;
  /** Bytes may be written below this; -1 once something did not fit. */
  limit = 0;

  /** Starts writing into `bytes` (and `view`, over the same memory) from `pos`, up to `limit`. */
  start(bytes: Uint8Array, view: DataView, pos: number, limit: number): void {
    this.bytes = bytes;
    this.view = view;
    this.pos = pos;
    this.limit = limit;
  }

  /** Whether everything written so far fit. */
  get fits(): boolean {
    return this.limit >= 0;
  }

  byte(c: number): void {
    if (this.pos >= this.limit) return this.overflow();
    this.bytes[this.pos++] = c;
  }

  /**
   * Ends an object whose properties were written from `open`, each with the comma before it:
   * the first one's comma stands where the `{` belongs, so it becomes the `{`. With no property
   * written, the object is `{}`. (Generated writers write property names as constants this
   * way, with no "is this the first?" test per property.)
   */
  endObject(open: number): void {
    if (this.limit < 0) return;
    if (this.pos === open) {
      this.byte(0x7b);
      this.byte(0x7d);
      return;
    }
    this.bytes[open] = 0x7b;
    this.byte(0x7d);
  }

  null(): void {
    this.word(NULL_WORD);
  }

  boolean(value: boolean): void {
    if (value) return this.word(TRUE_WORD);
    this.word(FALS_WORD);
    this.byte(0x65); // the "e" of "false"
  }

  /** A number as JSON.stringify writes it: digits, or null when it is not finite. */
  number(value: number): void {
    if ((value | 0) === value) return this.int32(value | 0);
    if (Number.isFinite(value)) return this.ascii(String(value));
    this.null();
  }

  /** A Date as its toJSON() gives it: the ISO string, or null when the date is invalid. */
  date(value: Date): void {
    if (Number.isFinite(value.getTime())) this.string(value.toISOString());
    else this.null();
  }

  /** A quoted, escaped string, as JSON.stringify spells it. */
  string(value: string): void {
    const n = value.length;
    const start = this.pos;
    if (n <= SHORT_STRING && start + n + 2 <= this.limit) {
      // Plain printable ASCII is copied as it is; anything else goes the long way, from the start.
      const bytes = this.bytes;
      let p = start;
      bytes[p++] = 0x22;
      let i = 0;
      for (; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x7f) break;
        bytes[p++] = c;
      }
      if (i === n) {
        bytes[p++] = 0x22;
        this.pos = p;
        return;
      }
    }
    if (NEEDS_ESCAPE.test(value)) return this.utf8(JSON.stringify(value));
    this.byte(0x22);
    this.utf8(value);
    this.byte(0x22);
  }

  private int32(value: number): void {
    let p = this.pos;
    // At most 11 bytes: a sign and 10 digits.
    if (p + 11 > this.limit) return this.ascii(String(value));
    const bytes = this.bytes;
    let rest = value;
    if (rest < 0) {
      bytes[p++] = 0x2d;
      rest = -rest; // -2^31 becomes 2^31, still exact as a double
    }
    let digits = 1;
    for (let scale = 10; scale <= rest; scale *= 10) digits++;
    p += digits;
    this.pos = p;
    do {
      const next = (rest / 10) | 0; // rest ≤ 2^31, so the quotient fits; JITs divide as integers
      bytes[--p] = 0x30 + (rest - next * 10);
      rest = next;
    } while (rest > 0);
  }

  /** Four bytes, given as a little-endian 32-bit word. */
  private word(bytes: number): void {
    const p = this.pos;
    if (p + 4 > this.limit) return this.overflow();
    this.view.setUint32(p, bytes, true);
    this.pos = p + 4;
  }

  /** Text that is ASCII only (numbers that are not int32). */
  private ascii(text: string): void {
    const n = text.length;
    const p = this.pos;
    if (p + n > this.limit) return this.overflow();
    const bytes = this.bytes;
    for (let i = 0; i < n; i++) bytes[p + i] = text.charCodeAt(i);
    this.pos = p + n;
  }

  private utf8(text: string): void {
    if (this.limit < 0) return;
    const written = encodeUtf8Into(this.bytes, text, this.pos, this.limit);
    if (written < 0) return this.overflow();
    this.pos += written;
  }

  /** Marks the output as not fitting; generated code calls it when a property name does not fit. */
  overflow(): void {
    this.limit = -1;
  }
}
