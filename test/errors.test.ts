// Failures: handler throws, APIError, the error option, unknown routes, malformed HTTP.

import assert from "node:assert/strict";
import { APIError } from "keel";
import { describe, test } from "./harness.js";
import { capturingErrors, json, rawExchange, useServer } from "./support.js";

describe("errors", () => {
  const app = useServer({
    routes: {
      "/throw": () => {
        throw new Error("secret detail");
      },
      "/reject": async () => {
        await null;
        throw new Error("async secret");
      },
      "/api/:code": (req) => {
        throw new APIError(req.params.code as never, `failed with ${req.params.code}`, req.params.code === "not_found" ? { id: 7 } : undefined);
      },
      "/api-bigint": () => {
        throw new APIError("invalid_argument", "bad", { n: 1n });
      },
      "/ok": () => ({ body: "ok" }),
    },
  });

  test("a throw is 500 internal, without details, logged once; the server keeps serving", async () => {
    for (const path of ["/throw", "/reject"]) {
      const { result: res, logged } = await capturingErrors(() => fetch(`${app.base}${path}`));
      assert.equal(res.status, 500);
      assert.equal(res.headers.get("content-type"), "application/json");
      const text = await res.text();
      assert.equal(text, '{"code":"internal","message":"internal error"}');
      assert.doesNotMatch(text, /secret/);
      assert.equal(logged.length, 1);
      assert.match(String(logged[0]?.[1]), /secret/);
      assert.equal(await (await fetch(`${app.base}/ok`)).text(), "ok");
    }
  });

  test("an APIError is answered with its status and JSON body", async () => {
    const expected: Array<[string, number]> = [
      ["invalid_argument", 400],
      ["unauthenticated", 401],
      ["permission_denied", 403],
      ["not_found", 404],
      ["already_exists", 409],
      ["resource_exhausted", 429],
      ["canceled", 499],
      ["internal", 500],
      ["unimplemented", 501],
      ["unavailable", 503],
      ["deadline_exceeded", 504],
    ];
    for (const [code, status] of expected) {
      const { result: res, logged } = await capturingErrors(() => fetch(`${app.base}/api/${code}`));
      assert.equal(res.status, status, code);
      const body = await json(res);
      assert.deepEqual(body, code === "not_found"
        ? { code, message: `failed with ${code}`, details: { id: 7 } }
        : { code, message: `failed with ${code}` });
      assert.equal(logged.length, 0, "an APIError is an answer, not a crash: nothing is logged");
    }
  });

  test("an APIError whose details are not JSON becomes 500, logged", async () => {
    const { result: res, logged } = await capturingErrors(() => fetch(`${app.base}/api-bigint`));
    assert.equal(res.status, 500);
    assert.deepEqual(await json(res), { code: "internal", message: "internal error" });
    assert.equal(logged.length, 1);
    assert.match(String(logged[0]?.[0]), /details cannot be sent as JSON/);
  });

  test("APIError rejects unknown codes", () => {
    assert.throws(() => new APIError("teapot" as never, "x"), /unknown code "teapot"; use one of invalid_argument/);
    const error = new APIError("not_found", "gone");
    assert.equal(error.status, 404);
    assert.deepEqual(JSON.parse(JSON.stringify(error)), { code: "not_found", message: "gone" });
  });

  test("unknown routes get 404 JSON from Rust when there is no fetch", async () => {
    const res = await fetch(`${app.base}/missing`);
    assert.equal(res.status, 404);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    const body = await json(res);
    assert.equal(body.code, "not_found");
    assert.equal(typeof body.message, "string");
  });

  test("malformed requests get 400 naming what is wrong, and the connection is closed", async () => {
    const malformed: [request: string, reason: string][] = [
      ["NOT HTTP AT ALL\r\n\r\n", "the version is not HTTP/1.0 or HTTP/1.1"],
      ["GET / HTTP/1.1\r\nhost: x\r\nno colon here\r\n\r\n", "a header line has no colon, or its name is empty or holds a character not allowed there"],
      ["GET / HTTP/1.1\r\nhost: x\x01y\r\n\r\n", "a header value holds a control character"],
      ["G@T / HTTP/1.1\r\nhost: x\r\n\r\n", "the method or the target holds a character not allowed there"],
      ["POST /ok HTTP/1.1\r\nhost: x\r\ncontent-length: nope\r\n\r\n", "invalid content-length"],
      ["GET /ok HTTP/9.9\r\nhost: x\r\n\r\n", "the version is not HTTP/1.0 or HTTP/1.1"],
    ];
    for (const [request, reason] of malformed) {
      const { response, connection } = await rawExchange(app.server.port, request);
      assert.equal(response.status, 400, JSON.stringify(request));
      const body = JSON.parse(response.body.toString());
      assert.equal(body.code, "invalid_argument");
      assert.ok(body.message.endsWith(reason), `${JSON.stringify(request)} => ${body.message}`);
      await connection.closed;
    }
    assert.equal(await (await fetch(`${app.base}/ok`)).text(), "ok");
  });
});

describe("the error option", () => {
  const app = useServer({
    fetch: (req) => {
      if (req.pathname === "/api") throw new APIError("permission_denied", "no");
      if (req.pathname === "/double") throw new Error("first");
      throw new Error("boom");
    },
    error: (error) => {
      if ((error as Error).message === "first") throw new Error("second");
      return new Response(`handled: ${(error as Error).message}`, { status: 418 });
    },
  });

  test("answers for unexpected throws", async () => {
    const { result: res } = await capturingErrors(() => fetch(`${app.base}/x`));
    assert.equal(res.status, 418);
    assert.equal(await res.text(), "handled: boom");
  });

  test("is not consulted for APIError", async () => {
    const res = await fetch(`${app.base}/api`);
    assert.equal(res.status, 403);
  });

  test("a throwing error handler falls back to 500", async () => {
    const { result: res, logged } = await capturingErrors(() => fetch(`${app.base}/double`));
    assert.equal(res.status, 500);
    assert.deepEqual(await json(res), { code: "internal", message: "internal error" });
    assert.equal(logged.length, 2);
  });
});
