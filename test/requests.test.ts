// What a handler sees of a request, and how what it returns reaches the client.

import assert from "node:assert/strict";
import type { KeelRequest } from "keel";
import { describe, test } from "./harness.js";
import { json, rawExchange, rawRequest, useServer } from "./support.js";

describe("requests", () => {
  const app = useServer({
    routes: {
      "/users/:id": { GET: (req) => ({ body: { params: req.params, method: req.method } }) },
      "/files/:name/versions/:version": (req) => ({ body: req.params }),
      "/inspect": (req) => ({ body: describeRequest(req) }),
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
  };
}
