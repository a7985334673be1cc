// The typed app the behaviour suite serves: one endpoint per concern. `keel gen` reads this file
// in the tests' setup (test/typed-support.ts); every handler counts its calls in `calls`, so a
// test can prove that an invalid request never reached JavaScript.

import {
  APIError,
  api,
  type ApiContext,
  type Cookie,
  type EndsWith,
  type Header,
  type Int,
  type IsEmail,
  type IsURL,
  type KeelRequest,
  type MatchesRegexp,
  type Max,
  type MaxLen,
  type Min,
  type MinLen,
  type Query,
  type StartsWith,
} from "keel";
import type { RequestEnvelope } from "../../bindings/core/envelope.js";

/** Handler calls by endpoint name. */
export const calls: Record<string, number> = {};

function called(name: string): void {
  calls[name] = (calls[name] ?? 0) + 1;
}

/** One optional field per validation rule and kind; the handler echoes what it read. */
interface Rules {
  min?: number & Min<10>;
  max?: number & Max<100>;
  minLen?: string & MinLen<3>;
  maxLen?: string & MaxLen<5>;
  tagsMin?: string[] & MinLen<1>;
  tagsMax?: string[] & MaxLen<2>;
  pattern?: string & MatchesRegexp<"^[a-z]+-[0-9]+$">;
  prefix?: string & StartsWith<"sk_">;
  suffix?: string & EndsWith<".png">;
  email?: string & IsEmail;
  url?: string & IsURL;
  int?: Int;
  color?: "red" | "green";
  kind?: "post";
  version?: 2;
  flag?: true;
  either?: (string & MaxLen<3>) | (number & Min<0>);
  nested?: { name: string & MinLen<1>; tags?: string[] };
  scores?: Record<string, number & Min<0>>;
  when?: Date;
  list?: (Int & Min<0>)[];
}

export const rules = api({ method: "POST", path: "/rules" }, async (req: Rules): Promise<Rules> => {
  called("rules");
  return req;
});

/** Null versus missing: the handler says what each field was. */
interface Nulls {
  required: string;
  nullable: number | null;
  optional?: string;
  optionalNullable?: string | null;
}

type Seen = "null" | "undefined" | "value";

function seen(value: unknown): Seen {
  return value === null ? "null" : value === undefined ? "undefined" : "value";
}

export const nulls = api(
  { method: "POST", path: "/nulls" },
  async (req: Nulls): Promise<{ required: Seen; nullable: Seen; optional: Seen; optionalNullable: Seen }> => {
    called("nulls");
    return { required: seen(req.required), nullable: seen(req.nullable), optional: seen(req.optional), optionalNullable: seen(req.optionalNullable) };
  },
);

/** Every source of a request field. */
interface Item {
  id: Int & Min<1>;
  q: string;
  page?: Query<Int>;
  tags?: string[];
  requestId: Header<"x-request-id">;
  retries?: Header<"x-retries", Int>;
  session: Cookie<"session">;
  theme?: Cookie<"theme", "dark" | "light">;
}

interface ItemSeen {
  id: number;
  idType: string;
  q: string;
  page?: number;
  tags?: string[];
  requestId: string;
  retries?: number;
  session: string;
  theme?: string;
}

export const getItem = api({ method: "GET", path: "/items/:id" }, async (req: Item): Promise<ItemSeen> => {
  called("getItem");
  const { id, q, page, tags, requestId, retries, session, theme } = req;
  return { id, idType: typeof id, q, page, tags, requestId, retries, session, theme };
});

/** Numbers at the edges of what a JSON number and an Int can hold. */
interface Numbers {
  big: Int;
  double: number;
  negative: number & Max<0>;
}

export const numbers = api({ method: "POST", path: "/numbers" }, async (req: Numbers): Promise<Numbers> => {
  called("numbers");
  return req;
});

/** Text beyond ASCII; MaxLen counts UTF-16 code units, as `length` does. */
interface Text {
  text: string;
  short?: string & MaxLen<4>;
}

export const text = api({ method: "POST", path: "/text" }, async (req: Text): Promise<{ text: string; length: number; short?: string }> => {
  called("text");
  return { text: req.text, length: req.text.length, short: req.short };
});

export const dates = api({ method: "POST", path: "/dates" }, async (req: { when: Date }): Promise<{ isDate: boolean; iso: string }> => {
  called("dates");
  return { isDate: req.when instanceof Date, iso: req.when.toISOString() };
});

/**
 * Replies of every sort the response writers meet: the declared shape with the values JSON is
 * particular about, and values JSON.stringify walks otherwise (undeclared or reordered keys, a
 * toJSON(), a wrong type). Whatever the runtime writes them with, the body is JSON.stringify's.
 */
interface ReplyItem {
  label: string;
  at?: Date;
  score: number | null;
}

interface Reply {
  name: string;
  count: Int;
  ratio: number;
  items: ReplyItem[];
  tags: Record<string, string>;
  flag: boolean | "maybe";
  stamp: Date | Int;
  nested?: { deep: string };
}

export const REPLY_SHAPES = ["declared", "undeclared key", "reordered", "toJSON", "wrong type", "nested toJSON", "mostly empty"] as const;

export function replyFor(shape: string): Reply {
  const declared: Reply = {
    name: 'Zoë "quoted" \\ \n\u0001 🚀 \ud800',
    count: -(2 ** 31),
    ratio: -0,
    items: [
      { label: "a".repeat(40), at: new Date(Date.UTC(2024, 1, 29, 23, 59, 59, 123)), score: 1e21 },
      { label: "é", at: new Date(NaN), score: null },
      { label: "", score: NaN },
    ],
    tags: { "": "empty", "x-y": "z", 10: "ten", 2: "two" },
    flag: "maybe",
    stamp: new Date(Date.UTC(2026, 11, 4)),
    nested: { deep: "\u2028" },
  };
  switch (shape) {
    case "undeclared key":
      return { ...declared, secret: "sent as JSON.stringify sends it" } as Reply;
    case "reordered": {
      const { name, ...rest } = declared;
      return { ...rest, name };
    }
    case "toJSON":
      return { ...declared, toJSON: () => ({ replaced: true }) } as Reply;
    case "wrong type":
      return { ...declared, count: "many" } as unknown as Reply;
    case "nested toJSON":
      return { ...declared, nested: { deep: "d", toJSON: () => "inner" } } as Reply;
    case "mostly empty":
      return { name: "", count: 0, ratio: Infinity, items: [], tags: {}, flag: false, stamp: -7 };
    default:
      return declared;
  }
}

export const replies = api({ method: "GET", path: "/replies" }, async (req: { shape: Query<string> }): Promise<Reply> => {
  called("replies");
  return replyFor(req.shape);
});

/** Status and headers from the context; a handler that takes no request. */
export const createNote = api({ method: "POST", path: "/notes" }, async (req: { title: string }, ctx): Promise<{ id: number; title: string }> => {
  called("createNote");
  ctx.status = 201;
  ctx.setHeader("location", "/notes/1");
  ctx.appendHeader("set-cookie", "a=1");
  ctx.appendHeader("set-cookie", "b=2");
  return { id: 1, title: req.title };
});

export const ping = api({ method: "GET", path: "/ping" }, async (_: void, ctx): Promise<{ pong: boolean; method: string }> => {
  called("ping");
  return { pong: true, method: ctx.request.method };
});

export const empty = api({ method: "DELETE", path: "/notes/:id" }, async (req: { id: Int }): Promise<void> => {
  called("empty");
  void req.id;
});

/** An APIError goes out with its status, its body and the headers set before it. */
export const secret = api({ method: "GET", path: "/secret" }, async (req: { token?: Header<"authorization"> }, ctx): Promise<{ ok: boolean }> => {
  called("secret");
  if (req.token !== "Bearer open-sesame") {
    ctx.setHeader("www-authenticate", "Bearer");
    throw new APIError("unauthenticated", "a bearer token is required", { scheme: "Bearer" });
  }
  return { ok: true };
});

/**
 * Reads its request only after waiting for the test to let it go, by which time the ring slots
 * it arrived in have been released (and reused): it reads the detached copy.
 */
export const gates = new Map<string, Promise<void>>();

export const late = api({ method: "POST", path: "/late/:key" }, async (req: { key: string; words: string[]; n: Int }): Promise<{ key: string; words: string[]; n: number }> => {
  called("late");
  await gates.get(req.key);
  return { key: req.key, words: req.words, n: req.n };
});

/** Waits for its client to go away; records the abort reason's name by key. */
export const abandoned = new Map<string, string>();

export const hang = api({ method: "GET", path: "/hang/:key" }, async (req: { key: string }, ctx: ApiContext): Promise<void> => {
  called("hang");
  const key = req.key;
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
  abandoned.set(key, (ctx.signal.reason as Error).name);
});

/** A raw endpoint: the fetch-style request, answered like a fetch handler. */
export const echo = api({ method: "POST", path: "/echo", raw: true }, async (req: KeelRequest): Promise<Response> => {
  called("echo");
  return new Response(await req.text(), { headers: { "x-raw": "yes" } });
});

/** One field of each kind, from each source: the request the flatc cross-check reads. */
interface Capture {
  id: Int;
  q: Query<string>;
  trace: Header<"x-trace">;
  session: Cookie<"session">;
  title: string;
  count: Int;
  ratio: number;
  ok: boolean;
  color: "red" | "green";
  either: string | number;
  maybe: number | null;
  missing?: string;
  ids: Int[];
  names: string[];
  author: { name: string; email?: string };
  labels: Record<string, string>;
  when: Date;
}

/** Payloads as Rust built them, copied out of the ring. */
export const captured: Uint8Array[] = [];

export const capture = api({ method: "POST", path: "/capture/:id" }, async (req: Capture, ctx): Promise<void> => {
  called("capture");
  void req;
  // The envelope is internal; the cross-check is the one place that wants the bytes themselves.
  const envelope = (ctx.request as unknown as { envelope: RequestEnvelope }).envelope;
  const start = envelope.base + envelope.payloadStart;
  captured.push(envelope.bytes.slice(start, start + envelope.payloadLength));
});
