// What a handler sees of a request, and how what it returns reaches the client.

import assert from "node:assert/strict";
import type { KeelRequest } from "keel";
import { describe, test } from "./harness.js";
import { deferred, json, RawConnection, rawExchange, rawRequest, until, useServer } from "./support.js";

describe("requests", () => {
  let kept: KeelRequest | undefined;
  const later = deferred();
  const app = useServer({
    requestRingBytes: 64 * 1024, // small, so that a few hundred requests wrap around it
    routes: {
      "/keep": (req) => {
        kept = req;
        return { body: "kept" };
      },
      "/read-later": async (req) => {
        await later.promise; // meanwhile other requests come and go through the ring
        return { body: { path: req.pathname, header: req.headers.get("x-late"), text: await req.text() } };
      },
      "/users/:id": { GET: (req) => ({ body: { params: req.params, method: req.method } }) },
      "/files/:name/versions/:version": (req) => ({ body: req.params }),
      "/inspect": (req) => ({ body: describeRequest(req) }),
      "/standard": async (req) => {
        const standard = req.toRequest();
        return {
          body: {
            isRequest: standard instanceof Request,
            method: standard.method,
            url: standard.url,
            header: standard.headers.get("x-a"),
            text: await standard.text(),
            bodyUsed: req.bodyUsed,
          },
        };
      },
    },
    fetch: (req) => ({ body: { fallback: true, pathname: req.pathname } }),
  });

  test("method, url, pathname and query", async () => {
    const res = await fetch(`${app.base}/inspect?b=2&a=%C3%A9`, { method: "PUT", body: "x" });
    assert.equal(res.status, 200);
    const seen = await json(res);
    assert.equal(seen.method, "PUT");
    assert.equal(seen.url, `${app.base}/inspect?b=2&a=%C3%A9`);
    assert.equal(seen.pathname, "/inspect");
    assert.deepEqual(seen.search, { b: "2", a: "é" });
  });

  test("headers: case-insensitive get, has, repeated names joined, sorted iteration", async () => {
    const request = rawRequest("GET", "/inspect", { "X-Multi": "one", "x-multi": "two", Accept: "text/plain" });
    const { response, connection } = await rawExchange(app.server.port, request);
    connection.destroy();
    assert.equal(response.status, 200);
    const seen = JSON.parse(response.body.toString());
    assert.equal(seen.multi, "one, two");
    assert.equal(seen.hasAccept, true);
    assert.equal(seen.hasMissing, false);
    assert.equal(seen.missing, null);
    assert.deepEqual(seen.names, ["accept", "host", "x-multi"]);
    assert.deepEqual(seen.entries.at(-1), ["x-multi", "one, two"]);
  });

  test("the client's address and HTTP version", async () => {
    const seen = await json(await fetch(`${app.base}/inspect`));
    assert.match(seen.remoteAddr, /^127\.0\.0\.1:\d+$/);
    assert.equal(seen.httpVersion, "1.1");
  });

  test("forEach and values agree with entries", async () => {
    const seen = await json(await fetch(`${app.base}/inspect`, { headers: { "x-one": "1" } }));
    assert.deepEqual(seen.forEach, seen.entries);
    assert.deepEqual(seen.values, seen.entries.map(([, value]: [string, string]) => value));
  });

  test("toRequest() gives a standard Request with the same method, URL, headers and body", async () => {
    const res = await fetch(`${app.base}/standard?x=1`, { method: "PATCH", headers: { "x-a": "b" }, body: "payload" });
    assert.deepEqual(await json(res), {
      isRequest: true,
      method: "PATCH",
      url: `${app.base}/standard?x=1`,
      header: "b",
      text: "payload",
      bodyUsed: true,
    });
  });

  test("a pending handler can read its request after other requests reused the ring", async () => {
    const pending = fetch(`${app.base}/read-later`, { method: "POST", headers: { "x-late": "yes" }, body: "late body" });
    await until(() => app.server.pendingRequests === 1, "the handler is waiting");
    for (let round = 0; round < 8; round++) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => fetch(`${app.base}/users/${i}`)));
    }
    later.resolve();
    assert.deepEqual(await json(await pending), { path: "/read-later", header: "yes", text: "late body" });
  });

  test("reading a request after its handler finished throws a clear error", async () => {
    await fetch(`${app.base}/keep`);
    await fetch(`${app.base}/users/1`); // a later poll has released the first request's slots
    assert.throws(() => kept!.headers.get("host"), /request was read after its handler finished/);
  });

  test("url without a Host header uses the server's address", async () => {
    const { response, connection } = await rawExchange(app.server.port, "GET /inspect?q HTTP/1.0\r\n\r\n");
    connection.destroy();
    const seen = JSON.parse(response.body.toString());
    assert.equal(seen.url, `http://127.0.0.1:${app.server.port}/inspect?q`);
  });

  test("route params, percent-decoded once", async () => {
    const res = await fetch(`${app.base}/users/caf%C3%A9%2520`);
    assert.deepEqual(await json(res), { params: { id: "café%20" }, method: "GET" });
    const multi = await fetch(`${app.base}/files/a.txt/versions/7`);
    assert.deepEqual(await json(multi), { name: "a.txt", version: "7" });
  });

  test("header values are read byte for byte (Latin-1); path, query and params as UTF-8, BOM and all", async () => {
    // café in Latin-1 (one byte é) and in UTF-8 (two bytes), a lone 0xff, and a leading U+FEFF.
    const head = "GET /users/%EF%BB%BFid?q=%C3%A9&raw=\xef\xbb\xbfx HTTP/1.1\r\nhost: test.local\r\nx-latin: caf\xe9\r\nx-utf8: caf\xc3\xa9 \xff\r\n\r\n";
    const { response, connection } = await rawExchange(app.server.port, Buffer.from(head, "latin1"));
    connection.destroy();
    assert.equal(response.status, 200);
    assert.deepEqual(JSON.parse(response.body.toString()).params, { id: "\ufeffid" });
    const inspected = await rawExchange(app.server.port, Buffer.from(head.replace("/users/%EF%BB%BFid", "/inspect"), "latin1"));
    inspected.connection.destroy();
    const seen = JSON.parse(inspected.response.body.toString());
    const headers = Object.fromEntries(seen.entries);
    assert.equal(headers["x-latin"], "caf\u00e9");
    assert.equal(headers["x-utf8"], "caf\u00c3\u00a9 \u00ff");
    assert.equal(seen.url, "http://test.local/inspect?q=%C3%A9&raw=\ufeffx");
    assert.deepEqual(seen.search, { q: "é", raw: "\ufeffx" });
  });

  test("url follows each request when consecutive ones repeat or nearly repeat a target", async () => {
    // Keel reuses the previous URL when a request's bytes spell it (request.ts): every near miss
    // below must still get its own URL. 0xc3 0xa9 is é in raw UTF-8.
    const targets: Array<[string, string, string]> = [
      ["test.local", "/inspect?a=1", "http://test.local/inspect?a=1"],
      ["test.local", "/inspect?a=1", "http://test.local/inspect?a=1"],
      ["test.local", "/inspect?a=2", "http://test.local/inspect?a=2"],
      ["test.local", "/inspect?", "http://test.local/inspect?"],
      ["test.local", "/inspect", "http://test.local/inspect"],
      ["test.local", "/inspect?", "http://test.local/inspect?"],
      ["other.local:81", "/inspect", "http://other.local:81/inspect"],
      ["test.local", "/inspect?x=\xc3\xa9", "http://test.local/inspect?x=\u00e9"],
      ["test.local", "/inspect?x=\xc3\xa9", "http://test.local/inspect?x=\u00e9"],
      ["test.local", "/inspect?x=%C3%A9", "http://test.local/inspect?x=%C3%A9"],
      ["test.local", "/inspect?x=\xc3\xa9", "http://test.local/inspect?x=\u00e9"],
    ];
    const connection = await RawConnection.open(app.server.port);
    try {
      for (const [host, target] of targets) connection.write(Buffer.from(`GET ${target} HTTP/1.1\r\nhost: ${host}\r\n\r\n`, "latin1"));
      for (const [host, target, url] of targets) {
        const response = await connection.readResponse();
        assert.equal(JSON.parse(response.body.toString()).url, url, `${host} ${JSON.stringify(target)}: ${response.status} ${response.body}`);
      }
    } finally {
      connection.destroy();
    }
  });

  test("unmatched requests go to fetch", async () => {
    const res = await fetch(`${app.base}/nowhere/else`);
    assert.deepEqual(await json(res), { fallback: true, pathname: "/nowhere/else" });
  });

  test("a method a route does not have gets 405 with Allow", async () => {
    const res = await fetch(`${app.base}/users/1`, { method: "DELETE" });
    assert.equal(res.status, 405);
    assert.match(res.headers.get("allow") ?? "", /GET/);
  });
});

function describeRequest(req: KeelRequest) {
  const search = Object.fromEntries(new URL(req.url).searchParams);
  const headers = req.headers;
  return {
    method: req.method,
    url: req.url,
    pathname: req.pathname,
    search,
    multi: headers.get("X-MULTI"),
    hasAccept: headers.has("accept"),
    hasMissing: headers.has("x-missing"),
    missing: headers.get("x-missing"),
    names: [...headers.keys()].filter((name) => name !== "content-length" && name !== "content-type"),
    entries: [...headers],
    values: [...headers.values()],
    forEach: collect(headers),
    remoteAddr: req.remoteAddr,
    httpVersion: req.httpVersion,
  };
}

function collect(headers: KeelRequest["headers"]): Array<[string, string]> {
  const seen: Array<[string, string]> = [];
  headers.forEach((value, name) => seen.push([name, value]));
  return seen;
}
