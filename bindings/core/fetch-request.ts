// A web-standard `Request` view of a KeelRequest, for apps written against the Fetch API (Hono,
// Elysia, any `fetch(request)` handler).
//
// A real Request costs 1–2 µs on Bun and 5–40 µs on Node (undici) to build, mostly for the
// headers, body and signal, which many handlers never read. The view answers `method` and `url`
// from the Keel request, builds a real `Headers` the first time `headers` is read, and takes the
// body from the ring only when a body method is called. Its prototype chain ends at
// `Request.prototype`, so `instanceof Request` holds.
//
// What the view does not implement itself:
// - the fixed members of a server-side request (cache, mode, credentials, referrer, ...) are read
//   from one body-less Request made for that purpose (they are the same for every request);
// - any other method of the runtime's Request (e.g. Bun's extras) turns the view into a real
//   Request once ("materializes" it, taking the body), and from then on the body members answer
//   from that real Request.
// `new Request(view)` needs the Request constructor installed by web-globals.ts; the runtime's
// own constructor does not accept a view.
//
// Unlike a Keel request, a view stays readable after the response was sent (frameworks read the
// request in hooks that run later): its frame is copied out of the ring when the slots go back.

import { BodyLocation } from "./envelope.js";
import type { KeelRequest } from "./request.js";
import { completeStandIn } from "./stand-in.js";

/** The runtime's own classes, captured before web-globals.ts may replace the globals. */
const NativeRequest = globalThis.Request;
const NativeResponse = globalThis.Response;

const KEEL_REQUEST = Symbol("keel.request");

type BodyInit = ConstructorParameters<typeof Response>[0];

/** A web Request for `req`, built lazily; see the file comment. */
export function fetchRequest(req: KeelRequest): Request {
  return new FetchRequest(req) as unknown as Request;
}

/** The Keel request behind a view made by `fetchRequest`, or undefined for any other Request. */
export function keelRequestOf(request: unknown): KeelRequest | undefined {
  return request instanceof FetchRequest ? request[KEEL_REQUEST] : undefined;
}

/**
 * The real Request equivalent to a view (made once, taking the view's body); any other value is
 * returned as it is. Used by the Request constructor of web-globals.ts.
 */
export function unwrapFetchRequest<T>(input: T): T | Request {
  return input instanceof FetchRequest ? input.materialize() : input;
}

type BodyReader = "arrayBuffer" | "blob" | "bytes" | "formData" | "json" | "text";
type BodyReaders = Record<BodyReader, () => Promise<unknown>>;

class FetchRequest {
  readonly [KEEL_REQUEST]: KeelRequest;
  #headers: Headers | undefined = undefined;
  /** The body as a stream, once `body` was read (null: the request has no body). */
  #stream: ReadableStream<Uint8Array> | null | undefined = undefined;
  #streamRead = false;
  /** The real Request this view turned into, if it did. */
  #real: Request | undefined = undefined;

  constructor(req: KeelRequest) {
    this[KEEL_REQUEST] = req;
    req.outlivesHandler = true;
  }

  get method(): string {
    return this[KEEL_REQUEST].method;
  }

  get url(): string {
    return this[KEEL_REQUEST].url;
  }

  /** A real, mutable Headers with every request header in arrival order, built on first use. */
  get headers(): Headers {
    return (this.#headers ??= this[KEEL_REQUEST].headers.toHeaders());
  }

  get signal(): AbortSignal {
    return this[KEEL_REQUEST].signal;
  }

  /** Bodies are complete when the handler runs, so a stream body never needs "full" duplex. */
  get duplex(): "half" {
    return "half";
  }

  /**
   * The body as a ReadableStream; null for a request without one (like GET). The stream takes
   * the body only when first read: frameworks test `if (request.body)` before calling json(),
   * which then still reads the body in place.
   */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#real !== undefined) return this.#real.body;
    if (this.#stream !== undefined) return this.#stream;
    const req = this[KEEL_REQUEST];
    if (!hasBody(req)) return (this.#stream = null);
    const pull = (controller: ReadableStreamDefaultController<Uint8Array>): void => {
      this.#streamRead = true;
      // A copy: the stream may be read after the frame's slots went back to Rust. A body that
      // a body method read in the meantime leaves the stream empty.
      const bytes = req.bodyUsed ? new Uint8Array(0) : req.takeBody().slice();
      if (bytes.length > 0) controller.enqueue(bytes);
      controller.close();
    };
    // highWaterMark 0: nothing is pulled before someone reads.
    return (this.#stream = new ReadableStream<Uint8Array>({ pull }, { highWaterMark: 0 }));
  }

  get bodyUsed(): boolean {
    if (this.#real !== undefined) return this.#real.bodyUsed;
    return this.#streamRead || this[KEEL_REQUEST].bodyUsed;
  }

  text(): Promise<string> {
    return this.#inPlace() ? this[KEEL_REQUEST].text() : (this.#readVia("text") as Promise<string>);
  }

  json(): Promise<unknown> {
    return this.#inPlace() ? this[KEEL_REQUEST].json() : this.#readVia("json");
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#inPlace() ? this[KEEL_REQUEST].arrayBuffer() : (this.#readVia("arrayBuffer") as Promise<ArrayBuffer>);
  }

  bytes(): Promise<Uint8Array> {
    return this.#inPlace() ? this[KEEL_REQUEST].bytes() : (this.#readVia("bytes") as Promise<Uint8Array>);
  }

  blob(): Promise<Blob> {
    return this.#readVia("blob") as Promise<Blob>;
  }

  /**
   * The body parsed by the runtime's own multipart and urlencoded parser: the bytes are handed
   * to a real Response carrying this request's content-type.
   */
  formData(): Promise<FormData> {
    return this.#readVia("formData") as Promise<FormData>;
  }

  clone(): Request {
    return this.materialize().clone() as unknown as Request;
  }

  /** @internal The real Request for this view, made once; it takes the body. */
  materialize(): Request {
    if (this.#real !== undefined) return this.#real;
    const req = this[KEEL_REQUEST];
    const method = this.method;
    let body: BodyInit | null = null;
    if (this.#streamInUse()) body = this.#stream!;
    else if (hasBody(req) && !req.bodyUsed) body = req.takeBody().slice();
    const init: RequestInit & { duplex?: "half" } = { method, headers: this.headers, body, signal: this.signal };
    if (body instanceof ReadableStream) init.duplex = "half";
    return (this.#real = new NativeRequest(this.url, init) as unknown as Request);
  }

  /** Whether the body is still in the Keel request (its stream, if made, untouched; not materialized). */
  #inPlace(): boolean {
    return this.#real === undefined && !this.#streamInUse();
  }

  /** Whether the body stream was handed out and then read from or locked to a reader. */
  #streamInUse(): boolean {
    const stream = this.#stream;
    return stream !== undefined && stream !== null && (this.#streamRead || stream.locked);
  }

  /** Reads the body through a real Response, or through the real Request once there is one. */
  #readVia(reader: BodyReader): Promise<unknown> {
    if (this.#real !== undefined) return (this.#real as unknown as BodyReaders)[reader]();
    if (this.bodyUsed) return Promise.reject(bodyUsedError());
    const type = this.headers.get("content-type");
    const viaStream = this.#streamInUse();
    const bytes = viaStream ? this.#stream! : this[KEEL_REQUEST].takeBody().slice();
    if (viaStream) this.#streamRead = true;
    const response = new NativeResponse(bytes, type === null ? undefined : { headers: { "content-type": type } });
    return (response as unknown as BodyReaders)[reader]();
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Request (Keel view) { method: ${JSON.stringify(this.method)}, url: ${JSON.stringify(this.url)} }`;
  }
}

function hasBody(req: KeelRequest): boolean {
  const method = req.method;
  return method !== "GET" && method !== "HEAD" && req.envelope.bodyLocation !== BodyLocation.None;
}

function bodyUsedError(): TypeError {
  return new TypeError("Body already used: a request body can be read once (text, json, arrayBuffer, bytes, blob, formData, body).");
}

// Every other member of the runtime's Request. Its fixed members (cache, mode, referrer, ...) are
// the same for every request a server receives: they are read from one body-less Request. Other
// methods (a runtime's extras) are called on the real Request the view turns into.
let template: Request | undefined;
const fixedMembers = (): object => (template ??= new NativeRequest("http://localhost/", { method: "POST" }) as unknown as Request);
completeStandIn(FetchRequest.prototype, NativeRequest.prototype, fixedMembers, (view) => view.materialize());
