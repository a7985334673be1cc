// The request a handler receives: a small, Fetch-shaped object whose fields are read lazily
// from the envelope in the request ring.
//
// Lifetime: the envelope points into the ring only while the frame's slots are held. Before the
// consumer releases those slots it calls `detach()` on every request whose handler is still
// running (one copy of the frame, so its fields stay readable) and `expire()` on the others (a
// read after the handler finished throws instead of returning another request's bytes).

import type { ApiContext } from "./context.js";
import { BodyLocation, PARAM_SPANS, SpanPart, type RequestEnvelope } from "./envelope.js";
import { RequestHeaders } from "./headers.js";
import type { ResponseStreamControl } from "./response-stream.js";
import { decodeBodyText, decodeUtf8 } from "./text.js";

const EMPTY_BODY = new Uint8Array(0);

/** No header value or request target holds a line feed: matches no Host, path or query. */
const NEVER_RECEIVED = "\n";

/**
 * The last URL made and what it was made of. A server's requests nearly all carry the same Host,
 * which is then neither decoded nor joined to "http://" again; and many repeat the same target
 * (a health check, a hot route), whose URL is then the same string as before: no decoding, no
 * joining, and one the router already scanned (a joined string is scanned slower the first time).
 *
 * `path` and `query` are compared with the request's bytes one byte per code unit, which is
 * exact only when each was decoded from as many bytes as it has code units: then every code unit
 * is ASCII or the U+FFFD of a lone invalid byte, which no byte equals. Otherwise they are
 * NEVER_RECEIVED, and only the origin is reused.
 */
let lastUrl: { authority: string; origin: string; path: string; query: string | undefined; url: string } = {
  authority: NEVER_RECEIVED,
  origin: "",
  path: NEVER_RECEIVED,
  query: undefined,
  url: "",
};

export class KeelRequest {
  /** @internal The envelope this request reads from. */
  readonly envelope: RequestEnvelope;
  /** @internal Request id, low word: the pending-table slot in Rust. */
  readonly idLow: number;
  /** @internal Request id, high word: the slot's generation. */
  readonly idHigh: number;
  /** @internal Set once the client went away: the response will be dropped. */
  canceled = false;
  /** @internal Set once the handler has returned or settled; no reads are expected after. */
  settled = false;
  /**
   * @internal Set when a web Request view was made of this request (fetch-request.ts): a web
   * Request stays readable after the response (Elysia's afterResponse hooks read it), so its
   * frame is copied out of the ring rather than cut off when the slots are released.
   */
  outlivesHandler = false;
  /** @internal A typed endpoint's context: its answer is the handler's result as JSON. */
  context: ApiContext | undefined = undefined;
  /** @internal The streamed response being sent, if any: it hears of credit and cancellation. */
  responseStream: ResponseStreamControl | undefined = undefined;

  /** host[:port] for `url` when the request carries no Host header. */
  private readonly fallbackAuthority: string;
  private ownedBody: Uint8Array | null = null;
  private consumed = false;
  private cachedMethod: string | undefined;
  private cachedUrl: string | undefined;
  private cachedHeaders: RequestHeaders | undefined;
  private cachedParams: Record<string, string> | undefined;
  private abortController: AbortController | undefined;

  /** @internal */
  constructor(envelope: RequestEnvelope, fallbackAuthority: string) {
    this.envelope = envelope;
    this.idLow = envelope.requestIdLow;
    this.idHigh = envelope.requestIdHigh;
    this.fallbackAuthority = fallbackAuthority;
  }

  get method(): string {
    return (this.cachedMethod ??= this.envelope.method);
  }

  /** The absolute URL, `http://` + Host (or the server's address) + path + `?query`. */
  get url(): string {
    if (this.cachedUrl !== undefined) return this.cachedUrl;
    const last = lastUrl;
    const envelope = this.envelope;
    const authority = this.headers.getLikely("host", last.authority) ?? this.fallbackAuthority;
    if (authority === last.authority && envelope.spellsTarget(last.path, last.query)) return (this.cachedUrl = last.url);
    const origin = authority === last.authority ? last.origin : `http://${authority}`;
    const path = envelope.path;
    const query = envelope.query;
    const url = query === undefined ? origin + path : `${origin}${path}?${query}`;
    const comparable = path.length + (query?.length ?? 0) === envelope.targetByteLength;
    lastUrl = comparable ? { authority, origin, path, query, url } : { authority, origin, path: NEVER_RECEIVED, query: undefined, url };
    return (this.cachedUrl = url);
  }

  /** The path as received (percent-encoded, no query): what `new URL(req.url).pathname` gives. */
  get pathname(): string {
    return this.envelope.path;
  }

  get headers(): RequestHeaders {
    return (this.cachedHeaders ??= new RequestHeaders(this.envelope));
  }

  /** Path parameters of the matched route, percent-decoded: `/users/:id` → `{ id }`. */
  get params(): Record<string, string> {
    return (this.cachedParams ??= this.readParams());
  }

  /** "ip:port" of the client. */
  get remoteAddr(): string {
    return this.envelope.remoteAddr;
  }

  /** "1.0", "1.1" or "2". */
  get httpVersion(): string {
    return this.envelope.httpVersion;
  }

  /** Aborted when the client goes away before the response is sent. */
  get signal(): AbortSignal {
    if (this.abortController === undefined) {
      this.abortController = new AbortController();
      if (this.canceled) this.abortController.abort(clientGone());
    }
    return this.abortController.signal;
  }

  get bodyUsed(): boolean {
    return this.consumed;
  }

  async text(): Promise<string> {
    return decodeBodyText(this.takeBody());
  }

  /** The body parsed as JSON; `T` only names the shape you expect, nothing checks it. */
  async json<T = unknown>(): Promise<T> {
    return JSON.parse(await this.text()) as T;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return (await this.bytes()).buffer as ArrayBuffer;
  }

  /** The body in a Uint8Array of its own (byteOffset 0, its whole buffer). */
  async bytes(): Promise<Uint8Array> {
    const owned = this.ownedBody;
    const body = this.takeBody();
    return body === owned ? body : body.slice();
  }

  /** A standard `Request` with the same method, URL, headers, body and signal. */
  toRequest(): Request {
    const method = this.method;
    const hasBody = method !== "GET" && method !== "HEAD";
    return new Request(this.url, {
      method,
      headers: this.headers.toHeaders(),
      body: hasBody ? (this.takeBody().slice() as Uint8Array<ArrayBuffer>) : null,
      signal: this.signal,
    });
  }

  /** @internal Keeps the body that Rust spilled outside the ring (a copy JS owns). */
  adoptBody(body: Uint8Array): void {
    this.ownedBody = body;
  }

  /**
   * @internal A typed request's payload that Rust spilled outside the ring because it was
   * larger than a frame (a typed request has no body of its own, so the spilled bytes are the
   * payload); null when the payload is in the frame. Taken once: the request then has no
   * body, as a typed request never does.
   */
  takeSpilledPayload(): Uint8Array | null {
    const payload = this.ownedBody;
    this.ownedBody = null;
    return payload;
  }

  /** @internal Moves the frame out of the ring before its slots are released. */
  detach(): void {
    this.envelope.detach();
  }

  /**
   * @internal The handler is done and the frame's slots are being released: fields not read
   * by now can no longer be read (they throw). The body, if still owned, stays readable.
   */
  expire(): void {
    this.envelope.expire();
  }

  /** @internal The client went away: fire the signal (if anyone made one). */
  cancel(): void {
    if (this.canceled) return;
    this.canceled = true;
    this.abortController?.abort(clientGone());
    this.responseStream?.cancel();
  }

  /**
   * @internal The body bytes, once: the owned copy, a view of the inline body (valid until the
   * frame's slots are released: decode or copy it at once), or an empty array.
   */
  takeBody(): Uint8Array {
    if (this.consumed) {
      throw new TypeError("Body already used: a request body can be read once (text, json, arrayBuffer, bytes).");
    }
    this.consumed = true;
    const owned = this.ownedBody;
    if (owned !== null) {
      this.ownedBody = null;
      return owned;
    }
    const envelope = this.envelope;
    if (envelope.bodyLocation !== BodyLocation.Inline) return EMPTY_BODY;
    const start = envelope.inlineBodyStart;
    return envelope.bytes.subarray(start, start + envelope.bodyLen);
  }

  private readParams(): Record<string, string> {
    const params: Record<string, string> = {};
    const envelope = this.envelope;
    for (let i = 0, n = envelope.spanCount(PARAM_SPANS); i < n; i++) {
      const name = this.paramText(i, SpanPart.Name);
      params[name] = percentDecode(this.paramText(i, SpanPart.Value));
    }
    return params;
  }

  private paramText(i: number, part: SpanPart): string {
    const envelope = this.envelope;
    const start = envelope.spanStart(PARAM_SPANS, i, part);
    return decodeUtf8(envelope.bytes, start, envelope.spanLength(PARAM_SPANS, i, part));
  }
}

function percentDecode(raw: string): string {
  if (!raw.includes("%")) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // a malformed escape is kept as sent rather than failing the request
  }
}

function clientGone(): DOMException {
  return new DOMException("The client closed the connection before the response was sent.", "AbortError");
}
