// A Response that keeps what it was made from.
//
// Sending a runtime's own Response means building it and reading it back. On Node, undici's
// costs about 7 µs to construct and 12 µs more to read back; on Bun, construction is the cost
// (~1.3 µs per response under load). So while a handler runs synchronously under Keel's dispatch
// (Keel's serve() and both adapters), this class is the global `Response` (web-globals.ts
// `enterLightScope`), and a handler's `new Response("hi")` costs one small object. Outside that
// window the global is the runtime's own, so that its APIs elsewhere in the process keep getting
// its Responses — except on Node under an adapter, where this class is the global for good
// (@hono/node-server does the same).
//
// It keeps a string, bytes or stream body and its init as given, so that Keel can write them into
// the response frame directly (`responseParts`). Anything else — reading the body, clone(), a
// body kind it does not keep (Blob, FormData, URLSearchParams; on Bun, streams), a status outside
// 200-599 — is answered by a real Response of the runtime (on Bun, a KeptResponse), made once;
// from then on every member answers from that one. It follows the runtime's rules where they
// differ: the default content types (undici's `text/plain;charset=UTF-8`, shown in `headers`;
// Bun.serve's `text/plain;charset=utf-8` and `application/octet-stream`, added only when
// sending) and Response.redirect() (undici resolves the URL, Bun keeps it as given).
//
// Differences from the standard, all invisible to apps that treat a Response as a value:
// - a Uint8Array body is kept by reference rather than copied (Keel copies it into the frame
//   when the response is sent);
// - a Headers object given in `init` is used as it is rather than copied;
// - header names and values are checked when the response is sent, not when it is made;
// - a body with status 204, 205 or 304 is accepted and not sent (as Bun does; undici throws,
//   which breaks Elysia's `new Response("", { status: 204 })`).

import { BUN_BYTES_TYPE, BUN_JSON_TYPE, BUN_STRING_TYPE, KeptResponse } from "./kept-response.js";
import { completeStandIn } from "./stand-in.js";

const NativeResponse = globalThis.Response;

const PARTS = Symbol("keel.responseParts");
type BodyInit = ConstructorParameters<typeof Response>[0];
type HeadersInit = NonNullable<ConstructorParameters<typeof Headers>[0]>;
type NativeInit = ConstructorParameters<typeof NativeResponse>[1];
const REAL = Symbol("keel.realResponse");

/** Where the runtime's own Response differs, and a light one must do as it does. */
interface RuntimeRules {
  /** The class that answers for a light Response once it has to be real. */
  readonly Real: typeof NativeResponse;
  /** The content type sent with a string body when the headers name none. */
  readonly stringType: string;
  /** Whether `headers` shows that type (undici) or it is only added when sending (Bun). */
  readonly stringTypeInHeaders: boolean;
  /** The content type sent with a bytes body when the headers name none, or null for none. */
  readonly bytesType: string | null;
  /** The content type Response.json() sets. */
  readonly jsonType: string;
  /**
   * Whether a stream body is kept. Not on Bun: Bun.serve's content type for a stream depends on
   * where it came from (see kept-response.ts), which KeptResponse follows.
   */
  readonly keepsStreams: boolean;
  /** Response.redirect()'s Location: undici makes the URL absolute, Bun keeps it as given. */
  readonly redirectLocation: (url: string | URL) => string;
}

const RULES: RuntimeRules =
  "Bun" in globalThis
    ? {
        Real: KeptResponse,
        stringType: BUN_STRING_TYPE,
        stringTypeInHeaders: false,
        bytesType: BUN_BYTES_TYPE,
        jsonType: BUN_JSON_TYPE,
        keepsStreams: false,
        redirectLocation: (url) => String(url),
      }
    : {
        Real: NativeResponse,
        stringType: "text/plain;charset=UTF-8", // the Fetch standard's
        stringTypeInHeaders: true,
        bytesType: null,
        jsonType: "application/json",
        keepsStreams: true,
        redirectLocation: (url) => {
          try {
            return new URL(url).href;
          } catch (cause) {
            throw new TypeError(`Failed to parse URL from ${String(url)}`, { cause }); // undici's words: Node has no base URL
          }
        },
      };

/** The headers of Response.json() given no init headers: shared, hence frozen. */
const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({ "content-type": RULES.jsonType });

/** The content type to send with a light Response's body when its headers name none. */
export function defaultContentType(body: ResponseParts["body"]): string | null {
  if (typeof body === "string") return RULES.stringType;
  return body instanceof Uint8Array ? RULES.bytesType : null;
}

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

/** `value` itself, or the real Response for it if it is a LightResponse. */
export function realResponse(value: unknown): unknown {
  return typeof value === "object" && value !== null && REAL in value ? (value as LightResponse).toReal() : value;
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

/** The body as a light Response keeps it, or NOT_KEPT for kinds it leaves to the runtime. */
function keepBody(body: unknown): KeptBody | typeof NOT_KEPT {
  if (body === null || body === undefined) return null;
  if (typeof body === "string" || body instanceof Uint8Array) return body;
  if (body instanceof ReadableStream) return RULES.keepsStreams ? (body as ReadableStream<Uint8Array>) : NOT_KEPT;
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
    const status = init?.status ?? 200;
    if (kept === NOT_KEPT || !Number.isInteger(status) || status < 200 || status > 599) {
      // The runtime decides: a body kind only it reads, or a status it refuses or treats its own
      // way (Bun accepts 101 and truncates fractions; undici throws a RangeError).
      this[REAL] = new RULES.Real(body, init as NativeInit) as unknown as Response;
      return;
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
    const showsStringType = RULES.stringTypeInHeaders && typeof parts.body === "string";
    if (headers instanceof Headers && (!showsStringType || headers.has("content-type"))) return headers;
    headers = new Headers(headers);
    if (showsStringType && !headers.has("content-type")) headers.set("content-type", RULES.stringType);
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
    return (this[REAL] = new RULES.Real(parts.body, init as NativeInit) as unknown as Response);
  }

  static json(data: unknown, init?: ResponseInit): Response {
    const body = JSON.stringify(data);
    if (body === undefined) throw new TypeError(`Response.json() cannot serialize ${typeof data}.`);
    if (init?.headers !== undefined) {
      const headers = new Headers(init.headers as HeadersInit);
      if (!headers.has("content-type")) headers.set("content-type", RULES.jsonType);
      return new LightResponse(body, { status: init.status, statusText: init.statusText, headers }) as unknown as Response;
    }
    const response = new LightResponse(body, init);
    // No copy of the usual headers: the object is frozen, and `headers` replaces it, never
    // changes it. (A status Keel leaves to the runtime made the response real already.)
    const parts = response[PARTS];
    if (parts !== undefined) parts.headers = JSON_HEADERS;
    else response[REAL]!.headers.set("content-type", RULES.jsonType);
    return response as unknown as Response;
  }

  static redirect(url: string | URL, status = 302): Response {
    if (status !== 301 && status !== 302 && status !== 303 && status !== 307 && status !== 308) {
      throw new RangeError(`Response.redirect() takes a redirect status (301, 302, 303, 307 or 308), got ${status}.`);
    }
    return new LightResponse(null, { status, headers: { location: RULES.redirectLocation(url) } }) as unknown as Response;
  }

  static error(): Response {
    return RULES.Real.error() as unknown as Response;
  }

  /** Every Response is one, light or not: `instanceof Response` keeps working for the runtime's. */
  static [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof NativeResponse;
  }
}

// Members of the runtime's Response not written above (Bun's bytes(); future ones) answer from
// the real Response, so that the native getters never see a light one.
const real = (response: LightResponse): object => response.toReal();
completeStandIn(LightResponse.prototype, NativeResponse.prototype, real, real);
Object.setPrototypeOf(LightResponse, NativeResponse);
// Elysia picks how to send a value by `value.constructor.name`.
Object.defineProperty(LightResponse, "name", { value: "Response" });
