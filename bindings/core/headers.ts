// The request's headers as a read-only, Headers-like view over the envelope's header spans.
//
// Nothing is decoded until asked: `get` and `has` compare bytes in place and decode only the
// values they return. Iteration follows the Fetch rules (names lowercase and sorted, repeated
// names combined with ", ", set-cookie kept apart) and is built once, on first use.

import { HEADER_SPANS, SpanPart, type RequestEnvelope } from "./envelope.js";
import { decodeLatin1 } from "./text.js";

export class RequestHeaders implements Iterable<[string, string]> {
  private readonly envelope: RequestEnvelope;
  private sorted: Array<[string, string]> | undefined;

  constructor(envelope: RequestEnvelope) {
    this.envelope = envelope;
  }

  /** All values of `name` joined with ", ", or null when the request did not carry it. */
  get(name: string): string | null {
    const key = name.toLowerCase();
    let joined: string | null = null;
    for (let i = this.next(key, 0); i !== -1; i = this.next(key, i + 1)) {
      const value = this.text(i, SpanPart.Value);
      joined = joined === null ? value : `${joined}, ${value}`;
    }
    return joined;
  }

  /**
   * What `get(name)` returns, but `likely` itself when the request carries exactly one `name`
   * header whose bytes spell it: a value the caller saw before is then not decoded again.
   */
  getLikely(name: string, likely: string): string | null {
    const key = name.toLowerCase();
    const first = this.next(key, 0);
    if (first === -1) return null;
    if (this.next(key, first + 1) !== -1) return this.get(key);
    // Latin-1 maps each byte to the code unit of the same value, so comparing them is exact.
    if (this.envelope.spanSpells(HEADER_SPANS, first, SpanPart.Value, likely)) return likely;
    return this.text(first, SpanPart.Value);
  }

  has(name: string): boolean {
    return this.next(name.toLowerCase(), 0) !== -1;
  }

  forEach(callback: (value: string, name: string, headers: RequestHeaders) => void, thisArg?: unknown): void {
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
  }

  entries(): IterableIterator<[string, string]> {
    return this.sortedEntries().values();
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.sortedEntries()) yield name;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.sortedEntries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** A real, mutable `Headers` with every header in arrival order. */
  toHeaders(): Headers {
    const headers = new Headers();
    for (let i = 0, n = this.count(); i < n; i++) {
      headers.append(this.text(i, SpanPart.Name), this.text(i, SpanPart.Value));
    }
    return headers;
  }

  private count(): number {
    return this.envelope.spanCount(HEADER_SPANS);
  }

  /** Index of the first header at or after `from` named `key` (lowercase), or -1. */
  private next(key: string, from: number): number {
    return this.envelope.findSpan(HEADER_SPANS, SpanPart.Name, key, from);
  }

  /** Header `i`'s name or value as a Fetch ByteString (one code unit per byte). */
  private text(i: number, part: SpanPart): string {
    const envelope = this.envelope;
    const start = envelope.spanStart(HEADER_SPANS, i, part);
    return decodeLatin1(envelope.bytes, start, envelope.spanLength(HEADER_SPANS, i, part));
  }

  private sortedEntries(): Array<[string, string]> {
    if (this.sorted !== undefined) return this.sorted;
    const combined = new Map<string, string>();
    const cookies: Array<[string, string]> = [];
    for (let i = 0, n = this.count(); i < n; i++) {
      const name = this.text(i, SpanPart.Name);
      const value = this.text(i, SpanPart.Value);
      if (name === "set-cookie") {
        cookies.push([name, value]);
        continue;
      }
      const earlier = combined.get(name);
      combined.set(name, earlier === undefined ? value : `${earlier}, ${value}`);
    }
    const entries: Array<[string, string]> = [...combined, ...cookies];
    // Array.prototype.sort is stable, so set-cookie entries keep their order.
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    this.sorted = entries;
    return entries;
  }
}
