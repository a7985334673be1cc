// A Response that keeps what it was made from, for Node.
//
// undici's Response costs about 7 µs to construct and 12 µs more to read back, and an app that
// answers `c.text("hi")` pays both on every request. While Keel's adapters serve on Node, this
// class is the global `Response` (web-globals.ts; @hono/node-server does the same): it keeps a
// string, bytes or stream body and its init as given, so that Keel can write them into the
// response frame directly (`responseParts`). Anything else — reading the body, clone(), a body
// kind it does not keep (Blob, FormData, URLSearchParams) — is answered by a real undici Response,
// made once; from then on every member answers from that one.
//
// Differences from the standard, all invisible to apps that treat a Response as a value:
// - a Uint8Array body is kept by reference rather than copied (Keel copies it into the frame
//   when the response is sent);
// - a Headers object given in `init` is used as it is rather than copied;
// - a body with status 204, 205 or 304 is accepted and not sent (as Bun does; undici throws,
//   which breaks Elysia's `new Response("", { status: 204 })`).

import { completeStandIn } from "./stand-in.js";

const NativeResponse = globalThis.Response;

const PARTS = Symbol("keel.responseParts");
type BodyInit = ConstructorParameters<typeof Response>[0];
type HeadersInit = NonNullable<ConstructorParameters<typeof Headers>[0]>;
type NativeInit = ConstructorParameters<typeof NativeResponse>[1];
const REAL = Symbol("keel.realResponse");

/** Content type the Fetch standard gives a string body. */
export const TEXT_PLAIN_UTF8 = "text/plain;charset=UTF-8";

/** What a light Response was made from, while nothing has made it real. */
export interface ResponseParts {
  readonly status: number;
  readonly statusText: string;
  /** The init headers as given, or the live Headers once `headers` has been read. */
  headers: HeadersInit | undefined;
  readonly body: string | Uint8Array | ReadableStream<Uint8Array> | null;
}

/** The parts of a light Response that is still light; undefined for any other value. */
export function responseParts(response: object): ResponseParts | undefined {
  return (response as { [PARTS]?: ResponseParts })[PARTS];
}

/**
 * The init's headers as a light Response keeps them. A Response given as init (`new
 * Response(old.body, old)`, as Hono does) lends a copy of its headers; a plain object or array
 * is copied, since the caller may change its own later; a Headers object is used as it is.
 */
function keptInitHeaders(init: ResponseInit | undefined): HeadersInit | undefined {
  if (init instanceof NativeResponse) return new Headers(init.headers as HeadersInit);
  const given = init?.headers as HeadersInit | undefined;
  if (given === undefined || given instanceof Headers) return given;
  return Array.isArray(given) ? given.slice() : { ...(given as Record<string, string>) };
}

type KeptBody = ResponseParts["body"];
const NOT_KEPT = Symbol("not kept");

/** The body as a light Response keeps it, or NOT_KEPT for kinds only undici handles. */
function keepBody(body: unknown): KeptBody | typeof NOT_KEPT {
  if (body === null || body === undefined) return null;
  if (typeof body === "string" || body instanceof Uint8Array || body instanceof ReadableStream) return body as KeptBody;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  return NOT_KEPT;
}

export class LightResponse {
  [PARTS]: ResponseParts | undefined = undefined;
  /** The real Response, once this one was made real. */
  [REAL]: Response | undefined = undefined;

  constructor(body?: BodyInit | null, init?: ResponseInit) {
    const kept = keepBody(body);
    if (kept === NOT_KEPT) {
      this[REAL] = new NativeResponse(body, init) as unknown as Response;
      return;
    }
    const status = init?.status ?? 200;
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError(`Response status must be an integer from 200 to 599, got ${String(status)}.`);
    }
    this[PARTS] = { status, statusText: init?.statusText ?? "", headers: keptInitHeaders(init), body: kept };
  }

  get status(): number {
    return this[PARTS]?.status ?? this[REAL]!.status;
  }

  get ok(): boolean {
    const status = this.status;
    return status >= 200 && status <= 299;
  }

  get statusText(): string {
    return this[PARTS]?.statusText ?? this[REAL]!.statusText;
  }

  get headers(): Headers {
    const parts = this[PARTS];
    if (parts === undefined) return this[REAL]!.headers;
    let headers = parts.headers;
    if (headers instanceof Headers && (typeof parts.body !== "string" || headers.has("content-type"))) return headers;
    headers = new Headers(headers);
    if (typeof parts.body === "string" && !headers.has("content-type")) headers.set("content-type", TEXT_PLAIN_UTF8);
    return (parts.headers = headers);
  }

  get type(): Response["type"] {
    return this[PARTS] !== undefined ? "default" : this[REAL]!.type;
  }

  get url(): string {
    return this[PARTS] !== undefined ? "" : this[REAL]!.url;
  }

  get redirected(): boolean {
    return this[PARTS] !== undefined ? false : this[REAL]!.redirected;
  }

  get body(): ReadableStream<Uint8Array> | null {
    return this.toReal().body;
  }

  get bodyUsed(): boolean {
    return this[PARTS] !== undefined ? false : this[REAL]!.bodyUsed;
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.toReal().arrayBuffer();
  }

  blob(): Promise<Blob> {
    return this.toReal().blob();
  }

  formData(): Promise<FormData> {
    return this.toReal().formData() as unknown as Promise<FormData>;
  }

  json(): Promise<unknown> {
    return this.toReal().json();
  }

  text(): Promise<string> {
    return this.toReal().text();
  }

  /** A light copy for a string or bytes body; a real (teed) one for a stream. */
  clone(): Response {
    const parts = this[PARTS];
    if (parts === undefined || parts.body instanceof ReadableStream) return this.toReal().clone() as unknown as Response;
    const headers = parts.headers === undefined ? undefined : new Headers(parts.headers);
    const init = { status: parts.status, statusText: parts.statusText, headers } as ResponseInit;
    return new LightResponse(parts.body, init) as unknown as Response;
  }

  /** The real Response for this one, made once from its parts. */
  toReal(): Response {
    const real = this[REAL];
    if (real !== undefined) return real;
    const parts = this[PARTS]!;
    this[PARTS] = undefined;
    const init = { status: parts.status, statusText: parts.statusText, headers: parts.headers };
    return (this[REAL] = new NativeResponse(parts.body, init as NativeInit) as unknown as Response);
  }

  static json(data: unknown, init?: ResponseInit): Response {
    const body = JSON.stringify(data);
    if (body === undefined) throw new TypeError(`Response.json() cannot serialize ${typeof data}.`);
    let headers: HeadersInit = { "content-type": "application/json" };
    if (init?.headers !== undefined) {
      const given = new Headers(init.headers as HeadersInit);
      if (!given.has("content-type")) given.set("content-type", "application/json");
      headers = given;
    }
    const jsonInit = { status: init?.status, statusText: init?.statusText, headers } as ResponseInit;
    return new LightResponse(body, jsonInit) as unknown as Response;
  }

  static redirect(url: string | URL, status = 302): Response {
    if (status !== 301 && status !== 302 && status !== 303 && status !== 307 && status !== 308) {
      throw new RangeError(`Response.redirect() takes a redirect status (301, 302, 303, 307 or 308), got ${status}.`);
    }
    let location: string;
    try {
      location = new URL(url).href;
    } catch (cause) {
      throw new TypeError(`Failed to parse URL from ${String(url)}`, { cause }); // undici's words: Node has no base URL
    }
    return new LightResponse(null, { status, headers: { location } }) as unknown as Response;
  }

  static error(): Response {
    return NativeResponse.error() as unknown as Response;
  }

  /** Every Response is one, light or not: `instanceof Response` keeps working for undici's. */
  static [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof NativeResponse;
  }
}

// Members of undici's Response not written above (none today; future ones) answer from the real
// Response, so that the native getters never see a light one.
const real = (response: LightResponse): object => response.toReal();
completeStandIn(LightResponse.prototype, NativeResponse.prototype, real, real);
Object.setPrototypeOf(LightResponse, NativeResponse);
// Elysia picks how to send a value by `value.constructor.name`.
Object.defineProperty(LightResponse, "name", { value: "Response" });
