// Handler results — plain objects and Responses, sync and async — as the client receives them.

import assert from "node:assert/strict";
import { describe, test } from "./harness.js";
import { capturingErrors, json, rawExchange, useServer } from "./support.js";

const UNICODE = "héllo wörld — ✓ 日本語 🚀";

describe("responses", () => {
  const app = useServer({
    routes: {
      "/object/json": () => ({ body: { message: UNICODE, list: [1, 2, 3] } }),
      "/object/text": () => ({ body: UNICODE }),
      "/object/bytes": () => ({ body: new Uint8Array([0, 1, 2, 253, 254, 255]) }),
      "/object/arraybuffer": () => ({ body: new Uint16Array([1, 2]).buffer }),
      "/object/empty": () => ({ status: 204 }),
      "/object/typed": () => ({ headers: { "Content-Type": "application/vnd.keel+json" }, body: { a: 1 } }),
      "/object/status": () => ({ status: 201, headers: [["x-tuple", "yes"]], body: "created" }),
      "/object/cookies": () => ({ headers: { "set-cookie": ["a=1; Path=/", "b=2; HttpOnly"], "x-num": 42 } }),
      "/object/latin1": (req) => ({ headers: { "x-echo": req.headers.get("x-latin1") ?? "" } }),
      "/response/text": () => new Response(UNICODE, { status: 202, headers: { "x-kind": "response" } }),
      "/response/json": () => Response.json({ ok: true }),
      "/response/cookies": () => {
        const headers = new Headers();
        headers.append("set-cookie", "first=1");
        headers.append("set-cookie", "second=2");
        headers.set("content-type", "text/plain");
        return new Response("cookies", { headers });
      },
      "/async/object": async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return { body: { async: true } };
      },
      "/async/response": async () => new Response("late", { status: 200 }),
      "/echo/text": async (req) => ({ body: await req.text() }),
      "/echo/json": async (req) => ({ body: { got: await req.json() } }),
      "/echo/bytes": async (req) => ({ body: new Uint8Array(await req.arrayBuffer()) }),
      "/body/twice": async (req) => {
        const first = await req.text();
        const second = await req.text().then(
          () => "read twice",
          (error: Error) => `${error.name}: ${error.message}`,
        );
        return { body: { first, second, used: req.bodyUsed } };
      },
      "/bad/header-name": () => ({ headers: { "bad name": "x" } }),
      "/bad/header-value": () => ({ headers: { "x-bad": "line\r\nbreak" } }),
      "/bad/status": () => ({ status: 99 }),
      "/bad/shape": () => ({ message: "forgot the body key" }) as never,
      "/bad/return": () => "just a string" as never,
    },
  });

  test("an object body is sent as JSON", async () => {
    const res = await fetch(`${app.base}/object/json`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.deepEqual(await json(res), { message: UNICODE, list: [1, 2, 3] });
  });

  test("a string body is sent as UTF-8 text", async () => {
    const res = await fetch(`${app.base}/object/text`);
    assert.equal(res.headers.get("content-type"), "text/plain;charset=utf-8");
    assert.equal(await res.text(), UNICODE);
  });

  test("bytes are sent as octet-stream, unchanged", async () => {
    const res = await fetch(`${app.base}/object/bytes`);
    assert.equal(res.headers.get("content-type"), "application/octet-stream");
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), new Uint8Array([0, 1, 2, 253, 254, 255]));
    const buffer = await fetch(`${app.base}/object/arraybuffer`);
    assert.deepEqual(new Uint16Array(await buffer.arrayBuffer()), new Uint16Array([1, 2]));
  });

  test("no body, a status of its own", async () => {
    const res = await fetch(`${app.base}/object/empty`);
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("content-type"), null);
    assert.equal(await res.text(), "");
  });

  test("a content-type header wins over the default, also when the same line is sent again", async () => {
    // The writer copies a header line it wrote last time: the repeat must still count as the
    // content type (no default added beside it), and a different line in between must not leak.
    for (const path of ["/object/typed", "/object/typed", "/object/status", "/object/typed"]) {
      const res = await fetch(`${app.base}${path}`);
      if (path === "/object/status") {
        assert.equal(res.headers.get("x-tuple"), "yes");
        assert.equal(await res.text(), "created");
        continue;
      }
      assert.equal(res.headers.get("content-type"), "application/vnd.keel+json");
      assert.deepEqual(await json(res), { a: 1 });
    }
  });

  test("status and headers given as tuples", async () => {
    const res = await fetch(`${app.base}/object/status`);
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("x-tuple"), "yes");
    assert.equal(await res.text(), "created");
  });

  test("several set-cookie headers from a plain object", async () => {
    const res = await fetch(`${app.base}/object/cookies`);
    assert.deepEqual(res.headers.getSetCookie(), ["a=1; Path=/", "b=2; HttpOnly"]);
    assert.equal(res.headers.get("x-num"), "42");
  });

  test("header values round-trip as bytes (Latin-1)", async () => {
    const request = "GET /object/latin1 HTTP/1.1\r\nhost: x\r\nx-latin1: caf\xe9\r\n\r\n";
    const { response, connection } = await rawExchange(app.server.port, Buffer.from(request, "latin1"));
    connection.destroy();
    assert.deepEqual(response.headers.get("x-echo"), ["caf\xe9"]);
  });

  test("a Response: status, headers and body", async () => {
    const res = await fetch(`${app.base}/response/text`);
    assert.equal(res.status, 202);
    assert.equal(res.headers.get("x-kind"), "response");
    assert.equal(await res.text(), UNICODE);
    const fromJson = await fetch(`${app.base}/response/json`);
    assert.match(fromJson.headers.get("content-type") ?? "", /^application\/json/);
    assert.deepEqual(await json(fromJson), { ok: true });
  });

  test("several set-cookie headers from a Response", async () => {
    const res = await fetch(`${app.base}/response/cookies`);
    assert.deepEqual(res.headers.getSetCookie(), ["first=1", "second=2"]);
    assert.equal(await res.text(), "cookies");
  });

  test("async handlers, returning objects or Responses", async () => {
    assert.deepEqual(await json(await fetch(`${app.base}/async/object`)), { async: true });
    assert.equal(await (await fetch(`${app.base}/async/response`)).text(), "late");
  });

  test("request bodies as text, JSON and bytes", async () => {
    const text = await fetch(`${app.base}/echo/text`, { method: "POST", body: UNICODE });
    assert.equal(await text.text(), UNICODE);
    const echoed = await fetch(`${app.base}/echo/json`, { method: "POST", body: JSON.stringify({ x: [UNICODE] }) });
    assert.deepEqual(await json(echoed), { got: { x: [UNICODE] } });
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const binary = await fetch(`${app.base}/echo/bytes`, { method: "POST", body: bytes });
    assert.deepEqual(new Uint8Array(await binary.arrayBuffer()), bytes);
  });

  test("an empty body reads as empty", async () => {
    const res = await fetch(`${app.base}/echo/text`, { method: "POST" });
    assert.equal(await res.text(), "");
  });

  test("a body can be read once", async () => {
    const res = await fetch(`${app.base}/body/twice`, { method: "POST", body: "once" });
    const seen = await json(res);
    assert.equal(seen.first, "once");
    assert.match(seen.second, /^TypeError: Body already used/);
    assert.equal(seen.used, true);
  });

  test("invalid results become 500 and say what is wrong in the log", async () => {
    const cases: Array<[string, RegExp]> = [
      ["/bad/header-name", /header name "bad name" is not a valid HTTP token/],
      ["/bad/header-value", /header "x-bad" has a value with character code 13/],
      ["/bad/status", /status must be an integer from 200 to 599, got 99/],
      ["/bad/shape", /none of status, headers or body; to send it as JSON, return \{ body: value \}/],
      ["/bad/return", /returned "just a string"; return a Response or an object/],
    ];
    for (const [path, explanation] of cases) {
      const { result: res, logged } = await capturingErrors(() => fetch(`${app.base}${path}`));
      assert.equal(res.status, 500, path);
      assert.deepEqual(await json(res), { code: "internal", message: "internal error" });
      assert.equal(logged.length, 1, `${path} is logged once`);
      assert.match(String(logged[0]?.[1]), explanation);
    }
  });
});

// While a handler runs synchronously, the global Response is Keel's light one (core/web-globals.ts),
// which Keel sends without the runtime building and reading back its own; after an await, and
// with overrideGlobalObjects: false, it is whatever the process had.
describe("responses: the global Response while a handler runs", () => {
  type Seen = { atOnce?: unknown; afterAwait?: unknown };
  const recording = (seen: Seen) => async () => {
    seen.atOnce = globalThis.Response;
    await Promise.resolve();
    seen.afterAwait = globalThis.Response;
    return new Response("recorded");
  };
  const light: Seen = {};
  const untouched: Seen = {};
  const lightApp = useServer({ fetch: recording(light) });
  const untouchedApp = useServer({ fetch: recording(untouched), overrideGlobalObjects: false });

  test("is light until the first await, then the process's own again", async () => {
    const res = await fetch(`${lightApp.base}/`);
    assert.equal(await res.text(), "recorded");
    assert.notEqual(light.atOnce, globalThis.Response);
    assert.equal((light.atOnce as { name?: string }).name, "Response");
    assert.equal(light.afterAwait, globalThis.Response);
  });

  test("overrideGlobalObjects: false leaves it alone", async () => {
    const res = await fetch(`${untouchedApp.base}/`);
    assert.equal(await res.text(), "recorded");
    assert.equal(untouched.atOnce, globalThis.Response);
    assert.equal(untouched.afterAwait, globalThis.Response);
  });
});
