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
// its status and headers are always read from the Response itself, so changes made to them after
// construction are sent. A Response rebuilt from another one's body stream, as Hono does when
// middleware replaces `c.res` (`new Response(res.body, res)`), keeps the same body while that
// stream is unread; Bun.serve sends such a body as application/octet-stream, and so does Keel.

const NativeResponse = globalThis.Response;

const KEPT = Symbol("keel.keptBody");

/** What Bun.serve sends as the content type of a string body, and of a bytes body. */
const STRING_TYPE = "text/plain;charset=utf-8";
const BYTES_TYPE = "application/octet-stream";
/** What Bun's Response.json() sets. */
const JSON_TYPE = "application/json;charset=utf-8";

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

/** Body streams handed out by KeptResponses, and the Response each came from. */
const streamOrigins = new WeakMap<object, KeptResponse>();

export class KeptResponse extends NativeResponse {
  readonly [KEPT]: KeptBody | undefined;

  constructor(body?: ConstructorParameters<typeof NativeResponse>[0], init?: ConstructorParameters<typeof NativeResponse>[1]) {
    // Before super(), which takes the stream: the origin's body must still be unread.
    const origin = body instanceof ReadableStream ? streamOrigins.get(body) : undefined;
    const rebuilt = origin !== undefined && !origin.bodyUsed ? origin[KEPT] : undefined;
    super(body, init);
    if (typeof body === "string") this[KEPT] = { body, defaultContentType: STRING_TYPE };
    else if (body instanceof Uint8Array) this[KEPT] = { body, defaultContentType: BYTES_TYPE };
    else if (body instanceof ArrayBuffer) this[KEPT] = { body: new Uint8Array(body), defaultContentType: BYTES_TYPE };
    else if (body instanceof Blob) this[KEPT] = { body: undefined, defaultContentType: body.type || BYTES_TYPE };
    else if (rebuilt !== undefined) this[KEPT] = { body: rebuilt.body, defaultContentType: BYTES_TYPE };
  }


  /** Response.json(), remembering the JSON text (Elysia answers objects with it). */
  static override json(data: unknown, init?: ResponseInit): Response {
    const body = JSON.stringify(data);
    if (body === undefined) return NativeResponse.json(data, init) as Response; // throws Bun's error
    const response = new KeptResponse(body, init as ConstructorParameters<typeof NativeResponse>[1]);
    if (!response.headers.has("content-type")) response.headers.set("content-type", JSON_TYPE);
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

// Elysia picks how to send a value by `value.constructor.name`.
Object.defineProperty(KeptResponse, "name", { value: "Response" });
