// A reader for the `keel.wire.Request` FlatBuffers table (schemas/envelope.fbs), written by hand
// so that a request costs a few DataView reads instead of a generated object graph.
//
// FlatBuffers in one paragraph: the buffer starts with a u32 offset to the root table. A table
// starts with an i32 that, subtracted from the table's position, gives its vtable: u16 vtable
// length, u16 table length, then one u16 per field id (0 = absent, else the field's offset from
// the table). A string or vector field holds a u32 offset, relative to the field itself, to a
// u32 element count followed by the elements.

import { bytesEqualLatin1, decodeUtf8 } from "./text.js";

/** Where a REQUEST frame's header keeps `envelope_offset` (docs/ARCHITECTURE.md). */
const ENVELOPE_OFFSET_WORD = 8;

// Field ids, in declaration order in envelope.fbs. Appending fields never moves these.
const REQUEST_ID = 0;
const ENDPOINT = 1;
const METHOD = 2;
const METHOD_NAME = 3;
const PATH = 4;
const QUERY = 5;
const HEADERS = 6;
const PARAMS = 7;
const STRINGS = 8;
const BODY_LEN = 9;
const BODY_LOCATION = 10;
const BODY_OFFSET = 11;
const REMOTE_ADDR = 12;
const HTTP_VERSION = 13;
const PAYLOAD = 14;

/** `keel.wire.BodyLocation`. */
export const BodyLocation = { None: 0, Inline: 1, Spilled: 2 } as const;

/** `keel.wire.Method` names by code; code 9 (OTHER) carries its name in `method_name`. */
const METHOD_NAMES = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];
const HTTP_VERSIONS = ["1.0", "1.1", "2"];

/**
 * `base` of an expired envelope. Every field read here passes through `field()`, which checks
 * it; the generated accessors, which read through the envelope too, see a negative position
 * (base plus any position in a frame is below 0) and throw.
 */
const EXPIRED = -(2 ** 31);
const EXPIRED_BYTES = new Uint8Array(0);
const EXPIRED_VIEW = new DataView(EXPIRED_BYTES.buffer);

/** Which span list of the envelope to read. */
export type SpanList = typeof HEADERS | typeof PARAMS;
export const HEADER_SPANS: SpanList = HEADERS;
export const PARAM_SPANS: SpanList = PARAMS;

/**
 * A `Span` struct is four u32: name offset, name length, value offset, value length, the
 * offsets counting from the first byte of `strings`. A part is the byte offset of its pair.
 */
const SPAN_BYTES = 16;
export const SpanPart = { Name: 0, Value: 8 } as const;
export type SpanPart = (typeof SpanPart)[keyof typeof SpanPart];

/**
 * One request envelope, read in place.
 *
 * Invariant: every position kept here is relative to `base`, so moving the frame to another
 * buffer (`detach`) only swaps `bytes`, `view` and `base`. The typed payload's accessors use
 * the envelope as their memory (`{ bytes, view, base }`, see codegen/emit/accessors.ts) and
 * follow it in the same way.
 */
export class RequestEnvelope {
  /** The memory holding the frame: the request ring until detached, then a private copy. */
  bytes: Uint8Array;
  view: DataView;
  /** Where the frame starts in `bytes`. */
  base: number;
  /** Frame length in bytes, header and inline body included. */
  readonly frameLen: number;
  private readonly table: number;
  private readonly vtable: number;
  private readonly vtableLen: number;

  constructor(bytes: Uint8Array, view: DataView, frame: number, frameLen: number) {
    this.bytes = bytes;
    this.view = view;
    this.base = frame;
    this.frameLen = frameLen;
    // The frame is: 16-byte header, inline body (if any), then the envelope.
    const root = frame + view.getUint32(frame + ENVELOPE_OFFSET_WORD, true);
    const table = root + view.getUint32(root, true);
    const vtable = table - view.getInt32(table, true);
    this.table = table - frame;
    this.vtable = vtable - frame;
    this.vtableLen = view.getUint16(vtable, true);
  }

  /** Copies the frame out of the ring into memory this envelope owns; reads keep working. */
  detach(): void {
    const copy = this.bytes.slice(this.base, this.base + this.frameLen);
    this.moveTo(copy, new DataView(copy.buffer), 0);
  }

  /** Reads from now on from a copy of the frame that starts at `base` in `bytes`. */
  moveTo(bytes: Uint8Array, view: DataView, base: number): void {
    this.bytes = bytes;
    this.view = view;
    this.base = base;
  }

  /**
   * Cuts the envelope off from the ring without a copy, for a request nobody should read any
   * more: a later read throws instead of returning bytes of whatever reuses the slots.
   */
  expire(): void {
    this.bytes = EXPIRED_BYTES;
    this.view = EXPIRED_VIEW;
    this.base = EXPIRED;
  }

  get requestIdLow(): number {
    const at = this.field(REQUEST_ID);
    return at === 0 ? 0 : this.view.getUint32(at, true);
  }

  get requestIdHigh(): number {
    const at = this.field(REQUEST_ID);
    return at === 0 ? 0 : this.view.getUint32(at + 4, true);
  }

  get endpoint(): number {
    return this.uint32(ENDPOINT);
  }

  get method(): string {
    const code = this.uint8(METHOD);
    return METHOD_NAMES[code] ?? this.string(METHOD_NAME) ?? "";
  }

  /** The request path as received: percent-encoded, starting with "/". */
  get path(): string {
    return this.string(PATH) ?? "/";
  }

  /** The query without its "?", or undefined when the target had no "?". */
  get query(): string | undefined {
    return this.string(QUERY);
  }

  /**
   * Whether the path and query bytes spell `path` and `query` (undefined: no "?"), one byte per
   * UTF-16 code unit. Never true for a request without a path field.
   */
  spellsTarget(path: string, query: string | undefined): boolean {
    return this.spells(PATH, path) && this.spells(QUERY, query);
  }

  /** How many bytes the path and the query take together. */
  get targetByteLength(): number {
    return this.byteLength(PATH) + this.byteLength(QUERY);
  }

  get remoteAddr(): string {
    return this.string(REMOTE_ADDR) ?? "";
  }

  get httpVersion(): string {
    return HTTP_VERSIONS[this.uint8(HTTP_VERSION)] ?? "1.1";
  }

  get bodyLen(): number {
    const at = this.field(BODY_LEN);
    if (at === 0) return 0;
    return this.view.getUint32(at, true) + this.view.getUint32(at + 4, true) * 0x1_0000_0000;
  }

  get bodyLocation(): number {
    return this.uint8(BODY_LOCATION);
  }

  /** Absolute position of an inline body in `bytes`. */
  get inlineBodyStart(): number {
    return this.base + this.uint32(BODY_OFFSET);
  }

  /**
   * Where a typed endpoint's payload (a FlatBuffers buffer of its own) starts, relative to
   * `base`; -1 when the request has none.
   */
  get payloadStart(): number {
    const at = this.vector(PAYLOAD);
    return at === 0 ? -1 : at + 4 - this.base;
  }

  /** The payload's length in bytes (0 when there is none). */
  get payloadLength(): number {
    const at = this.vector(PAYLOAD);
    return at === 0 ? 0 : this.view.getUint32(at, true);
  }

  /** Number of spans in a span list. */
  spanCount(list: SpanList): number {
    const at = this.vector(list);
    return at === 0 ? 0 : this.view.getUint32(at, true);
  }

  /** Where span `index`'s name (`SpanPart.Name`) or value (`SpanPart.Value`) starts in `bytes`. */
  spanStart(list: SpanList, index: number, part: SpanPart): number {
    const word = this.vector(list) + 4 + index * SPAN_BYTES + part;
    return this.vector(STRINGS) + 4 + this.view.getUint32(word, true);
  }

  /** Length in bytes of span `index`'s name or value. */
  spanLength(list: SpanList, index: number, part: SpanPart): number {
    return this.view.getUint32(this.vector(list) + 4 + index * SPAN_BYTES + part + 4, true);
  }

  /**
   * Index of the first span at or after `from` whose `part` spells `text` (one byte per UTF-16
   * code unit), or -1. The list and the strings are located once for the whole scan.
   */
  findSpan(list: SpanList, part: SpanPart, text: string, from: number): number {
    const spans = this.vector(list);
    if (spans === 0) return -1;
    const view = this.view;
    const strings = this.vector(STRINGS) + 4;
    for (let i = from, n = view.getUint32(spans, true); i < n; i++) {
      const word = spans + 4 + i * SPAN_BYTES + part;
      if (bytesEqualLatin1(this.bytes, strings + view.getUint32(word, true), view.getUint32(word + 4, true), text)) return i;
    }
    return -1;
  }

  /** Whether span `index`'s `part` spells `text`, one byte per UTF-16 code unit. */
  spanSpells(list: SpanList, index: number, part: SpanPart, text: string): boolean {
    return bytesEqualLatin1(this.bytes, this.spanStart(list, index, part), this.spanLength(list, index, part), text);
  }

  /** Absolute position of field `id`, or 0 when the field is absent. */
  private field(id: number): number {
    if (this.base === EXPIRED) {
      throw new Error(
        "Keel: this request was read after its handler finished. Read what you need (or keep the request's promise pending) until the response is returned.",
      );
    }
    const slot = 4 + 2 * id;
    if (slot >= this.vtableLen) return 0;
    const offset = this.view.getUint16(this.base + this.vtable + slot, true);
    return offset === 0 ? 0 : this.base + this.table + offset;
  }

  private uint8(id: number): number {
    const at = this.field(id);
    return at === 0 ? 0 : this.view.getUint8(at);
  }

  private uint32(id: number): number {
    const at = this.field(id);
    return at === 0 ? 0 : this.view.getUint32(at, true);
  }

  /** Absolute position of a vector's (or string's) length word, or 0 when absent. */
  private vector(id: number): number {
    const at = this.field(id);
    return at === 0 ? 0 : at + this.view.getUint32(at, true);
  }

  private spells(id: number, text: string | undefined): boolean {
    const at = this.vector(id);
    if (at === 0) return text === undefined;
    return text !== undefined && bytesEqualLatin1(this.bytes, at + 4, this.view.getUint32(at, true), text);
  }

  private byteLength(id: number): number {
    const at = this.vector(id);
    return at === 0 ? 0 : this.view.getUint32(at, true);
  }

  private string(id: number): string | undefined {
    const at = this.vector(id);
    if (at === 0) return undefined;
    return decodeUtf8(this.bytes, at + 4, this.view.getUint32(at, true));
  }
}
