// Hono apps served by keel/hono: a real app with real middleware answers a corpus of requests
// exactly as Hono's own server does (Bun.serve on Bun, @hono/node-server on Node), plus what only
// a server can show: connection info, streaming, large uploads, aborts and concurrency.

import assert from "node:assert/strict";
import { Hono } from "hono";
import { stream } from "hono/streaming";
import { getConnInfo, serve, type HonoServer } from "keel/hono";
import { createHonoApp } from "./apps/hono-app.js";
import { answer, multipart, useNativeServer, type Exchange } from "./differential.js";
import { after, before, describe, runtime, test } from "./harness.js";
import { deferred, json as jsonOf, until } from "./support.js";

/** keel/hono's server for the enclosing describe block. */
function useHono(app: Hono): { readonly base: string; readonly server: HonoServer } {
  let server: HonoServer | undefined;
  before(() => void (server = serve(app, { hostname: "127.0.0.1", port: 0 })));
  after(() => server?.stop());
  return {
    get base() {
      return `http://127.0.0.1:${server!.port}`;
    },
    get server() {
      return server!;
    },
  };
}

const json = (value: unknown) => ({ headers: { "content-type": "application/json" }, body: JSON.stringify(value) });
const form = multipart({ title: "hello", tag: "a", file: { filename: "notes.txt", type: "text/plain", content: "file body" } });
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const ORIGIN = { origin: "https://example.com" };

const CORPUS: Exchange[] = [
  { name: "text", path: "/" },
  { name: "HEAD of a text route", method: "HEAD", path: "/" },
  { name: "unicode text", path: "/unicode" },
  { name: "html", path: "/html" },
  { name: "bytes", path: "/binary" },
  { name: "JSON with a path param and query", path: "/api/users/42?q=x", headers: ORIGIN },
  { name: "cors preflight", method: "OPTIONS", path: "/api/users/42", headers: { ...ORIGIN, "access-control-request-method": "PUT", "access-control-request-headers": "x-custom" } },
  { name: "cors from a foreign origin", path: "/api/users/1", headers: { origin: "https://evil.example" } },
  { name: "zod: valid body", method: "POST", path: "/api/users", ...json({ name: "Ada", age: 36 }) },
  { name: "zod: invalid body", method: "POST", path: "/api/users", ...json({ name: "", age: -1 }) },
  { name: "zod: malformed JSON", method: "POST", path: "/api/users", headers: { "content-type": "application/json" }, body: "{nope" },
  { name: "zod: wrong content type", method: "POST", path: "/api/users", headers: { "content-type": "text/plain" }, body: "{}" },
  { name: "repeated query keys", path: "/query?a=1&a=2&b=%20x" },
  { name: "request headers", path: "/headers", headers: { "x-custom": "yes", accept: "text/html" } },
  { name: "PUT", method: "PUT", path: "/method", body: "x" },
  { name: "DELETE", method: "DELETE", path: "/method" },
  { name: "PATCH", method: "PATCH", path: "/method", body: "x" },
  { name: "urlencoded form", method: "POST", path: "/form", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "a=1&a=2&b=h%C3%A9" },
  { name: "multipart form with a file", method: "POST", path: "/form", headers: { "content-type": form.type }, body: form.body },
  { name: "text body", method: "POST", path: "/text", body: "é".repeat(1000) },
  { name: "etag", path: "/etag/doc" },
  { name: "etag: not modified", path: "/etag/doc", headers: { "if-none-match": 'W/"unknown"' } },
  { name: "basic auth: none", path: "/admin/panel" },
  { name: "basic auth: wrong password", path: "/admin/panel", headers: { authorization: basic("admin", "nope") } },
  { name: "basic auth: right password", path: "/admin/panel", headers: { authorization: basic("admin", "secret") } },
  { name: "two Set-Cookie headers", path: "/cookies" },
  { name: "a request cookie", path: "/read-cookie", headers: { cookie: "a=42; b=7" } },
  { name: "redirect 302", path: "/redirect" },
  { name: "redirect 301", path: "/redirect-301" },
  { name: "204 without a body", path: "/no-content" },
  { name: "304 without a body", path: "/not-modified" },
  { name: "201 with location", path: "/created" },
  { name: "streamText", path: "/stream" },
  { name: "a throwing handler", path: "/error" },
  { name: "an HTTPException", path: "/teapot" },
  { name: "not found", path: "/nowhere?x=1" },
];

describe("Hono on Keel answers like Hono's own server", () => {
  const keel = useHono(createHonoApp());
  const native = useNativeServer("hono");

  for (const exchange of CORPUS) {
    test(exchange.name, async () => {
      assert.deepEqual(await answer(keel.base, exchange), await answer(native.base, exchange));
    });
  }

  test("etag: the etag it sent makes a 304", async () => {
    const first = await fetch(`${keel.base}/etag/doc`);
    const etag = first.headers.get("etag");
    assert.ok(etag);
    const exchange = { name: "revalidate", path: "/etag/doc", headers: { "if-none-match": etag } };
    const [fromKeel, fromNative] = [await answer(keel.base, exchange), await answer(native.base, exchange)];
    assert.equal(fromKeel.status, 304);
    assert.deepEqual(fromKeel, fromNative);
  });
});

describe("Hono on Keel: what a server shows", () => {
  const app = new Hono();
  const aborted = deferred<string>();
  const release = deferred();
  app.get("/conninfo", (c) => c.json(getConnInfo(c)));
  app.get("/conninfo/native", async (c) => {
    // The helper of the server the app came from.
    const helper = runtime === "bun" ? await import("hono/bun") : await import("@hono/node-server/conninfo");
    return c.json(helper.getConnInfo(c));
  });
  app.get("/stream/held", (c) =>
    stream(c, async (s) => {
      await s.write("first;");
      await release.promise;
      await s.write("second");
    }),
  );
  app.post("/upload", async (c) => {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    let sum = 0;
    for (const byte of bytes) sum = (sum + byte) % 65_521;
    return c.json({ length: bytes.length, sum });
  });
  app.post("/upload/form", async (c) => {
    const body = await c.req.parseBody();
    const file = body["file"] as File;
    return c.json({ name: file.name, size: file.size, note: body["note"] });
  });
  app.get("/wait-for-abort", async (c) => {
    const signal = c.req.raw.signal;
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    aborted.resolve(String((signal.reason as Error)?.name));
    return c.text("too late");
  });
  app.get("/slow/:id", async (c) => {
    await new Promise((resolve) => setTimeout(resolve, Number(c.req.param("id")) % 7));
    return c.json({ id: c.req.param("id"), ua: c.req.header("x-id") });
  });
  app.post("/rebuild", async (c) => {
    // Middleware such as body-limit rebuilds the request from c.req.raw.
    const copy = new Request(c.req.raw, { headers: { "x-copied": "yes" } });
    return c.json({ isRequest: c.req.raw instanceof Request, header: copy.headers.get("x-copied"), text: await copy.text() });
  });
  const keel = useHono(app);

  test("getConnInfo from keel/hono reports the client's address", async () => {
    const info = await jsonOf(await fetch(`${keel.base}/conninfo`));
    assert.equal(info.remote.address, "127.0.0.1");
    assert.equal(info.remote.addressType, "IPv4");
    assert.ok(Number.isInteger(info.remote.port) && info.remote.port > 0);
  });

  test(`getConnInfo from ${runtime === "bun" ? "hono/bun" : "@hono/node-server"} works unchanged`, async () => {
    const info = await jsonOf(await fetch(`${keel.base}/conninfo/native`));
    assert.equal(info.remote.address, "127.0.0.1");
    assert.equal(info.remote.addressType, "IPv4");
    assert.ok(info.remote.port > 0);
  });

  test("a stream's first chunk arrives before the stream ends", async () => {
    const res = await fetch(`${keel.base}/stream/held`);
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), "first;");
    release.resolve(); // only now may the handler finish
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    assert.equal(rest, "second");
  });

  test("a large upload arrives whole", async () => {
    const body = new Uint8Array(1_500_000).map((_, i) => (i * 31) & 0xff);
    let sum = 0;
    for (const byte of body) sum = (sum + byte) % 65_521;
    const res = await fetch(`${keel.base}/upload`, { method: "POST", body });
    assert.deepEqual(await res.json(), { length: body.length, sum });
  });

  test("a large multipart upload is parsed", async () => {
    const data = new FormData();
    data.append("note", "big one");
    data.append("file", new Blob([new Uint8Array(1_000_000).fill(7)]), "big.bin");
    const res = await fetch(`${keel.base}/upload/form`, { method: "POST", body: data });
    assert.deepEqual(await res.json(), { name: "big.bin", size: 1_000_000, note: "big one" });
  });

  test("a client that hangs up aborts c.req.raw.signal", async () => {
    const controller = new AbortController();
    const request = fetch(`${keel.base}/wait-for-abort`, { signal: controller.signal }).catch(() => "aborted");
    await until(() => keel.server.pendingRequests === 1, "the handler is waiting");
    controller.abort();
    assert.equal(await request, "aborted");
    assert.equal(await aborted.promise, "AbortError");
  });

  test("200 concurrent requests each get their own answer", async () => {
    const ids = Array.from({ length: 200 }, (_, i) => i);
    const answers = await Promise.all(ids.map((i) => fetch(`${keel.base}/slow/${i}`, { headers: { "x-id": `id-${i}` } }).then((r) => r.json())));
    assert.deepEqual(answers, ids.map((i) => ({ id: String(i), ua: `id-${i}` })));
  });

  test("new Request(c.req.raw) works (the request is a Request)", async () => {
    const res = await fetch(`${keel.base}/rebuild`, { method: "POST", body: "payload" });
    assert.deepEqual(await res.json(), { isRequest: true, header: "yes", text: "payload" });
  });
});

describe("keel/hono serve()", () => {
  test("takes @hono/node-server's shape too: serve({ fetch, port }, listening) and close()", async () => {
    const app = new Hono().get("/", (c) => c.text("node-server shape"));
    const listened = deferred<{ address: string; port: number }>();
    const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => listened.resolve(info));
    const info = await listened.promise;
    assert.equal(info.port, server.port);
    assert.equal(info.address, "127.0.0.1");
    assert.equal(await (await fetch(`http://127.0.0.1:${info.port}/`)).text(), "node-server shape");
    const closed = deferred();
    server.close(() => closed.resolve());
    await closed.promise;
  });

  test("refuses what it cannot use, naming it", () => {
    assert.throws(() => serve(42 as never), /pass your app/);
    const app = new Hono();
    assert.throws(() => serve(app, { routes: {} } as never), /"routes" is not an option here: the app routes its requests itself/);
    assert.throws(() => serve(app, { port: 0, flavour: "x" } as never), /unknown option "flavour"/);
  });
});
