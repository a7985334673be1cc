// A Response that remembers its body, for Bun.
//
// Reading a Response body back costs a promise and a stream read per response, and on Bun the
// content type of a string or bytes body is not in `response.headers` (Bun.serve adds it when
// sending). While Keel's adapters serve on Bun, this subclass is the global `Response`
// (web-globals.ts): a real Bun Response in every way (Bun.serve accepts it), which also keeps the
// string or bytes it was made with, so that Keel writes them straight into the response frame
// with the content type Bun.serve would send. Of a Blob body it keeps only the content type.
//
// The kept body is used only while the Response's own body is unread (`bodyUsed` is false), and
// its status is always read from the Response itself. So are its headers, but for one case:
// headers given in `init` as a plain object (Hono's `c.json()`, Elysia's answers) are copied and
// kept too, and sent from that copy while nothing has read `headers` (the only way to change
// them) and the copy holds exactly what the native Headers do (see keptHeaders), so that Keel
// need not iterate a Headers object per response.
//
// A Response rebuilt from another one's body stream, as Hono does when middleware replaces
// `c.res` (`new Response(res.body, res)`), keeps the same body while that stream is unread;
// Bun.serve sends such a body as application/octet-stream, and so does Keel.

import { isPlainObject } from "./plain-object.js";

const NativeResponse = globalThis.Response;

const KEPT = Symbol("keel.keptBody");
const INIT_HEADERS = Symbol("keel.initHeaders");

/** What Bun.serve sends as the content type of a string body, and of a bytes body. */
export const BUN_STRING_TYPE = "text/plain;charset=utf-8";
export const BUN_BYTES_TYPE = "application/octet-stream";
/** What Bun's Response.json() sets. */
export const BUN_JSON_TYPE = "application/json;charset=utf-8";

export interface KeptBody {
  /** The body, unless it is one that must be read (a Blob). */
  readonly body: string | Uint8Array | undefined;
  /** The content type to send when the headers carry none. */
  readonly defaultContentType: string;
}

/** What a KeptResponse kept of its body, while that body is unread. */
export function keptBody(response: Response): KeptBody | undefined {
  const kept = (response as { [KEPT]?: KeptBody })[KEPT];
  return kept !== undefined && !response.bodyUsed ? kept : undefined;
}

/**
 * The headers a KeptResponse with a kept body was given as a plain object, while `headers` has
 * not been read and while sending the object as it is gives what the native Headers hold: every
 * value a string without leading or trailing whitespace (Headers trims it) and no two names equal
 * but for case (Headers would combine them). Otherwise undefined: read `response.headers`.
 */
export function keptHeaders(response: Response): Readonly<Record<string, string>> | undefined {
  const record = (response as { [INIT_HEADERS]?: Record<string, unknown> })[INIT_HEADERS];
  if (record === undefined) return undefined;
  let count = 0;
  for (const name in record) {
    const value = record[name];
    if (typeof value !== "string" || hasOuterWhitespace(value)) return undefined;
    count++;
  }
  if (count > 1 && hasNamesEqualButForCase(record)) return undefined;
  return record as Record<string, string>;
}

/** Whether the value starts or ends with tab, line feed, carriage return or space. */
function hasOuterWhitespace(value: string): boolean {
  if (value.length === 0) return false;
  return isHttpWhitespace(value.charCodeAt(0)) || isHttpWhitespace(value.charCodeAt(value.length - 1));
}

function isHttpWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

function hasNamesEqualButForCase(record: object): boolean {
  const seen = new Set<string>();
  for (const name in record) {
    const lower = name.toLowerCase();
    if (seen.has(lower)) return true;
    seen.add(lower);
  }
  return false;
}

/** Body streams handed out by KeptResponses, and the Response each came from. */
const streamOrigins = new WeakMap<object, KeptResponse>();

export class KeptResponse extends NativeResponse {
  readonly [KEPT]: KeptBody | undefined;
  /**
   * A copy of `init.headers` when that is a plain object and the body is kept (a copy: the
   * caller may change its object later, which must not change this Response), until `headers`
   * is read.
   */
  [INIT_HEADERS]: object | undefined;

  constructor(body?: ConstructorParameters<typeof NativeResponse>[0], init?: ConstructorParameters<typeof NativeResponse>[1]) {
    // Before super(), which takes the stream: the origin's body must still be unread.
    const origin = body instanceof ReadableStream ? streamOrigins.get(body) : undefined;
    const rebuilt = origin !== undefined && !origin.bodyUsed ? origin[KEPT] : undefined;
    super(body, init);
    if (typeof body === "string") this[KEPT] = { body, defaultContentType: BUN_STRING_TYPE };
    else if (body instanceof Uint8Array) this[KEPT] = { body, defaultContentType: BUN_BYTES_TYPE };
    else if (body instanceof ArrayBuffer) this[KEPT] = { body: new Uint8Array(body), defaultContentType: BUN_BYTES_TYPE };
    else if (body instanceof Blob) this[KEPT] = { body: undefined, defaultContentType: body.type || BUN_BYTES_TYPE };
    else if (rebuilt !== undefined) this[KEPT] = { body: rebuilt.body, defaultContentType: BUN_BYTES_TYPE };
    const headers = init?.headers;
    if (this[KEPT]?.body !== undefined && isPlainObject(headers)) this[INIT_HEADERS] = { ...headers };
  }

  /** Response.json(), remembering the JSON text (Elysia answers objects with it). */
  static override json(data: unknown, init?: ResponseInit): Response {
    const body = JSON.stringify(data);
    if (body === undefined) return NativeResponse.json(data, init) as Response; // throws Bun's error
    if (init?.headers === undefined) {
      // The common case, built without reading `headers` back (which would drop the kept ones).
      return new KeptResponse(body, { ...init, headers: { "content-type": BUN_JSON_TYPE } }) as unknown as Response;
    }
    const response = new KeptResponse(body, init as ConstructorParameters<typeof NativeResponse>[1]);
    if (!response.headers.has("content-type")) response.headers.set("content-type", BUN_JSON_TYPE);
    return response as unknown as Response;
  }

  /** A copy that remembers the same body (Elysia answers 404 with a clone of one Response). */
  override clone(): Response {
    const copy = super.clone() as Response & { [KEPT]?: KeptBody };
    copy[KEPT] = this[KEPT];
    return copy;
  }

  /** Every Response is one: `instanceof Response` keeps working for Responses made elsewhere. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof NativeResponse;
  }
}

// `body` remembers which Response a stream came from (declared as a field in the DOM types, so it
// is defined here rather than as an accessor in the class).
const nativeBody = Reflect.getOwnPropertyDescriptor(NativeResponse.prototype, "body")!.get!;
Object.defineProperty(KeptResponse.prototype, "body", {
  configurable: true,
  get(this: KeptResponse): ReadableStream<Uint8Array> | null {
    const stream = nativeBody.call(this) as ReadableStream<Uint8Array> | null;
    if (stream !== null && this[KEPT]?.body !== undefined) streamOrigins.set(stream, this);
    return stream;
  },
});

// `headers` is the one way to change a Response's headers: once it is read, the kept init headers
// may no longer be what the Response holds, and are dropped.
const nativeHeaders = Reflect.getOwnPropertyDescriptor(NativeResponse.prototype, "headers")!.get!;
Object.defineProperty(KeptResponse.prototype, "headers", {
  configurable: true,
  get(this: KeptResponse): Headers {
    if (this[INIT_HEADERS] !== undefined) this[INIT_HEADERS] = undefined;
    return nativeHeaders.call(this) as Headers;
  },
});

// Elysia picks how to send a value by `value.constructor.name`.
Object.defineProperty(KeptResponse, "name", { value: "Response" });
