// Typed endpoints over real HTTP: where request fields come from (path, query, header, cookie,
// body), what the handler reads (unicode, big and negative numbers, null versus missing, dates),
// what it answers (JSON, status and headers from the context, APIError), and a typed request
// read after its ring slots were released.

import assert from "node:assert/strict";
import { describe, test } from "./harness.js";
import { deferred, json, RawConnection, rawRequest, until } from "./support.js";
import * as app from "./typed/app.js";
import { postJson, useTypedServer } from "./typed-support.js";

describe("typed requests", () => {
  // The smallest request ring, so that a few dozen requests wrap around it and reuse its slots.
  const typed = useTypedServer("test/typed/app.ts", app, { requestRingBytes: 64 * 1024 });

  async function getItem(path: string, headers: Record<string, string>): Promise<Response> {
    return fetch(`${typed.base}${path}`, { headers });
  }

  test("path, query, header and cookie fields, parsed as their types", async () => {
    const res = await getItem("/items/42?q=hello%20w%C3%B6rld&page=2&tags=a&tags=b%2Cc", {
      "x-request-id": "req-1",
      "x-retries": "3",
      cookie: "theme=dark; session=s1",
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      id: 42,
      idType: "number",
      q: "hello wörld",
      page: 2,
      tags: ["a", "b,c"],
      requestId: "req-1",
      retries: 3,
      session: "s1",
      theme: "dark",
    });
  });

  test("optional sources left out are undefined; required ones are refused", async () => {
    const before = app.calls.getItem ?? 0;
    const ok = await getItem("/items/1?q=x", { "x-request-id": "r", cookie: "session=abc" });
    assert.deepEqual(await ok.json(), { id: 1, idType: "number", q: "x", requestId: "r", session: "abc" });

    const refusals: Array<[string, Record<string, string>, object]> = [
      ["/items/0?q=x", { "x-request-id": "r", cookie: "session=a" }, { field: "id", source: "path", rule: "Min", message: "path.id: must be at least 1" }],
      ["/items/1.5?q=x", { "x-request-id": "r", cookie: "session=a" }, { field: "id", source: "path", rule: "type", message: "path.id: must be an integer" }],
      ["/items/1?q=x&page=two", { "x-request-id": "r", cookie: "session=a" }, { field: "page", source: "query", rule: "type", message: "query.page: must be an integer" }],
      ["/items/1", { "x-request-id": "r", cookie: "session=a" }, { field: "q", source: "query", rule: "required", message: "query.q: is required" }],
      ["/items/1?q=x", { cookie: "session=a" }, { field: "requestId", source: "header", rule: "required", message: "header.requestId: is required" }],
      ["/items/1?q=x", { "x-request-id": "r", "x-retries": "many", cookie: "session=a" }, { field: "retries", source: "header", rule: "type", message: "header.retries: must be an integer" }],
      ["/items/1?q=x", { "x-request-id": "r" }, { field: "session", source: "cookie", rule: "required", message: "cookie.session: is required" }],
      ["/items/1?q=x", { "x-request-id": "r", cookie: "session=a; theme=blue" }, { field: "theme", source: "cookie", rule: "type", message: 'cookie.theme: must be one of "dark", "light"' }],
    ];
    for (const [path, headers, { message, ...details }] of refusals as Array<[string, Record<string, string>, { message: string }]>) {
      const res = await getItem(path, headers);
      assert.equal(res.status, 400, path);
      assert.deepEqual(await res.json(), { code: "invalid_argument", message, details });
    }
    assert.equal(app.calls.getItem, before + 1, "only the valid request reached the handler");
  });

  test("unicode strings, and MaxLen counting UTF-16 code units", async () => {
    // A leading U+FEFF is data, not a byte order mark to drop.
    const text = "\ufeffhéllo wörld — 日本語 🚀 \u0000 \"quoted\" \\ ".repeat(3);
    const res = await postJson(`${typed.base}/text`, { text, short: "😀😀" });
    assert.deepEqual(await res.json(), { text, length: text.length, short: "😀😀" });
    const refused = await postJson(`${typed.base}/text`, { text: "x", short: "😀😀😀" });
    assert.equal(refused.status, 400);
    assert.equal((await json(refused)).details.rule, "MaxLen");
  });

  test("a request whose decoded payload is larger than a ring frame still reaches its handler", async () => {
    // This server's ring is 64 KiB, so a frame holds at most 32 KiB: the 60 KB string (and an
    // inline-sized body beside it) must travel outside the ring, as a large body does.
    const text = "é".repeat(30_000) + "ü";
    const before = app.calls.text ?? 0;
    const res = await postJson(`${typed.base}/text`, { text });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(await res.json(), { text, length: text.length });
    assert.equal(app.calls.text, before + 1);
    // The ring goes on serving small requests in order after it.
    const small = await postJson(`${typed.base}/text`, { text: "after" });
    assert.deepEqual(await small.json(), { text: "after", length: 5 });
  });

  test("big and negative numbers", async () => {
    const edges = { big: 2 ** 53 - 1, double: 1.7976931348623157e308, negative: -0.000001 };
    assert.deepEqual(await (await postJson(`${typed.base}/numbers`, edges)).json(), edges);
    const negatives = { big: -(2 ** 53 - 1), double: 5e-324, negative: -1e300 };
    assert.deepEqual(await (await postJson(`${typed.base}/numbers`, negatives)).json(), negatives);
    const tooBig = await fetch(`${typed.base}/numbers`, { method: "POST", body: '{"big":9007199254740993,"double":1,"negative":0}' });
    assert.equal(tooBig.status, 400);
    assert.equal((await json(tooBig)).details.field, "big");
  });

  test("null and missing reach the handler as null and undefined", async () => {
    const cases: Array<[object, object]> = [
      [{ required: "x", nullable: null }, { required: "value", nullable: "null", optional: "undefined", optionalNullable: "undefined" }],
      [{ required: "x", nullable: 0, optional: "", optionalNullable: null }, { required: "value", nullable: "value", optional: "value", optionalNullable: "null" }],
      [{ required: "", nullable: 1, optionalNullable: "v" }, { required: "value", nullable: "value", optional: "undefined", optionalNullable: "value" }],
    ];
    for (const [body, expected] of cases) {
      assert.deepEqual(await (await postJson(`${typed.base}/nulls`, body)).json(), expected, JSON.stringify(body));
    }
    const before = app.calls.nulls;
    const missingNullable = await postJson(`${typed.base}/nulls`, { required: "x" });
    assert.deepEqual(await missingNullable.json(), {
      code: "invalid_argument",
      message: "body.nullable: is required",
      details: { field: "nullable", source: "body", rule: "required" },
    });
    const nullNotNullable = await postJson(`${typed.base}/nulls`, { required: "x", nullable: 1, optional: null });
    assert.deepEqual(await nullNotNullable.json(), {
      code: "invalid_argument",
      message: "body.optional: must be a string, not null",
      details: { field: "optional", source: "body", rule: "type" },
    });
    assert.equal(app.calls.nulls, before);
  });

  test("a Date field is a Date", async () => {
    const res = await postJson(`${typed.base}/dates`, { when: "2024-02-29T23:59:59.123+01:00" });
    assert.deepEqual(await res.json(), { isDate: true, iso: "2024-02-29T22:59:59.123Z" });
  });

  test("status and headers set on the context", async () => {
    const res = await postJson(`${typed.base}/notes`, { title: "t" });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("location"), "/notes/1");
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.deepEqual(res.headers.getSetCookie(), ["a=1", "b=2"]);
    assert.deepEqual(await res.json(), { id: 1, title: "t" });
  });

  test("a handler without a request, and one that returns nothing", async () => {
    assert.deepEqual(await (await fetch(`${typed.base}/ping`)).json(), { pong: true, method: "GET" });
    const res = await fetch(`${typed.base}/notes/5`, { method: "DELETE" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), null);
    assert.equal(await res.text(), "");
  });

  test("a reply is sent as JSON.stringify writes it, whatever its shape", async () => {
    // The generated writer writes what matches the declared type and JSON.stringify the rest
    // (bindings/core/json-out.ts). The bytes are the same.
    for (const shape of app.REPLY_SHAPES) {
      const res = await fetch(`${typed.base}/replies?shape=${encodeURIComponent(shape)}`);
      assert.equal(res.status, 200, shape);
      assert.equal(res.headers.get("content-type"), "application/json", shape);
      assert.equal(await res.text(), JSON.stringify(app.replyFor(shape)), shape);
    }
  });

  test("an APIError: its status and body, with the headers set before it", async () => {
    const refused = await fetch(`${typed.base}/secret`);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get("www-authenticate"), "Bearer");
    assert.deepEqual(await refused.json(), { code: "unauthenticated", message: "a bearer token is required", details: { scheme: "Bearer" } });
    const allowed = await fetch(`${typed.base}/secret`, { headers: { authorization: "Bearer open-sesame" } });
    assert.deepEqual(await allowed.json(), { ok: true });
  });

  test("a client that hangs up aborts the context's signal", async () => {
    const before = app.calls.hang ?? 0;
    const connection = await RawConnection.open(typed.server.port);
    connection.write(rawRequest("GET", "/hang/gone"));
    await until(() => app.calls.hang === before + 1, "the handler runs");
    connection.destroy();
    await until(() => app.abandoned.has("gone"), "the signal fires");
    assert.equal(app.abandoned.get("gone"), "AbortError");
    await until(() => typed.server.pendingRequests === 0, "the request is forgotten");
  });

  test("a raw endpoint gets the request and answers like fetch", async () => {
    const res = await fetch(`${typed.base}/echo`, { method: "POST", body: "raw body" });
    assert.equal(res.headers.get("x-raw"), "yes");
    assert.equal(await res.text(), "raw body");
  });

  test("a typed request read after its ring slots were released reads the copy", async () => {
    // Each handler reads its key, then waits; meanwhile the others arrive and the ring moves on,
    // so every waiting request is detached (copied out) before it reads the rest.
    const count = 40;
    const gate = deferred();
    const bodies = Array.from({ length: count }, (_, i) => ({ words: Array.from({ length: i % 5 }, (_, j) => `w${i}-${j}-ü`), n: -(i + 1) * 1_000_003 }));
    for (let i = 0; i < count; i++) app.gates.set(`k${i}`, gate.promise);
    const seen = app.calls.late ?? 0;
    const answers = bodies.map((body, i) => postJson(`${typed.base}/late/k${i}`, body));
    while ((app.calls.late ?? 0) < seen + count) await new Promise((resolve) => setTimeout(resolve, 5));
    // 100 KiB more through the 64 KiB ring: the slots the waiting requests arrived in are reused.
    for (let i = 0; i < 50; i++) await postJson(`${typed.base}/text`, { text: String(i).repeat(2048) });
    gate.resolve();
    const results = await Promise.all(answers.map(async (res) => (await res).json()));
    assert.deepEqual(results, bodies.map((body, i) => ({ key: `k${i}`, ...body })));
  });
});
