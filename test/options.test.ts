// serve() misuse: each mistake is a TypeError that names it and says what to write instead.

import assert from "node:assert/strict";
import { serve, type ServeOptions } from "keel";
import { describe, test } from "./harness.js";

const handler = () => ({ body: "x" });

function rejects(options: unknown, message: RegExp): void {
  assert.throws(() => serve(options as ServeOptions), (error: unknown) => {
    assert.ok(error instanceof TypeError, `expected a TypeError, got ${String(error)}`);
    assert.match(error.message, message);
    return true;
  });
}

describe("serve() options", () => {
  test("needs an app, fetch or routes", () => {
    rejects({}, /needs something to answer with: pass "app".*"fetch".*"routes"/);
    rejects(undefined, /takes an options object/);
  });

  test("handlers must be functions", () => {
    rejects({ fetch: "index.html" }, /"fetch" must be a function \(req, server\) => Response, got string/);
    rejects({ routes: { "/a": 42 } }, /routes\["\/a"\] must be a handler or an object of handlers per method/);
    rejects({ routes: { "/a": { GET: "x" } } }, /routes\["\/a"\]\.GET must be a handler function, got string/);
    rejects({ fetch: handler, error: {} }, /"error" must be a function/);
  });

  test("route keys are paths; methods go inside", () => {
    rejects({ routes: { "GET /users": handler } }, /must be a path starting with "\/".*write \{ "\/users": \{ GET: handler \} \}/);
    rejects({ routes: { "/a": { get: handler } } }, /has the key "get"; keys are HTTP methods in capitals/);
  });

  test("port, hostname and limits are checked", () => {
    rejects({ fetch: handler, port: 70000 }, /"port" must be an integer from 0 to 65535.*got 70000/);
    rejects({ fetch: handler, port: "http" }, /"port" must be an integer from 0 to 65535.*got "http"/);
    rejects({ fetch: handler, hostname: "" }, /"hostname" must be an address/);
    rejects({ fetch: handler, maxRequestBodySize: -1 }, /"maxRequestBodySize" must be a positive integer, got -1/);
    rejects({ fetch: handler, idleTimeout: 0 }, /"idleTimeout" is in seconds and must be a positive number/);
  });

  test("engine is \"lean\" or \"hyper\"", () => {
    rejects({ fetch: handler, engine: "uv" }, /"engine" must be "lean" \(the default\) or "hyper", got "uv"/);
  });

  test("overrideGlobalObjects is a boolean", () => {
    rejects({ fetch: handler, overrideGlobalObjects: "no" }, /"overrideGlobalObjects" must be true or false, got no/);
  });

  for (const engine of ["lean", "hyper"] as const) {
    test(`the ${engine} engine serves requests, bodies and streams`, async () => {
      const server = serve({
        hostname: "127.0.0.1",
        port: 0,
        engine,
        fetch: async (req) => {
          if (req.method === "POST") return new Response(`got ${await req.text()}`);
          const parts = ["a", "b", "c"];
          const body = new ReadableStream({
            pull(controller) {
              const next = parts.shift();
              if (next === undefined) controller.close();
              else controller.enqueue(new TextEncoder().encode(next));
            },
          });
          return new Response(body, { headers: { "x-engine": engine } });
        },
      });
      try {
        const posted = await fetch(new URL("/echo", server.url), { method: "POST", body: "ping" });
        assert.equal(posted.status, 200);
        assert.equal(await posted.text(), "got ping");
        const streamed = await fetch(new URL("/stream", server.url));
        assert.equal(streamed.headers.get("x-engine"), engine);
        assert.equal(await streamed.text(), "abc");
      } finally {
        await server.stop();
      }
    });
  }

  test("unknown options are named", () => {
    rejects({ fetch: handler, developmnet: true }, /unknown option "developmnet"\. Known options: port, hostname, app, manifest, fetch/);
  });

  test("a numeric string port (as from $PORT) is accepted", async () => {
    const server = serve({ fetch: handler, hostname: "127.0.0.1", port: "0" });
    try {
      assert.ok(server.port > 0);
      assert.equal(server.url.href, `http://127.0.0.1:${server.port}/`);
      assert.equal(server.hostname, "127.0.0.1");
    } finally {
      await server.stop();
    }
  });

  test("a port in use fails with the runtime's own explanation", async () => {
    const first = serve({ fetch: handler, hostname: "127.0.0.1", port: 0 });
    try {
      assert.throws(() => serve({ fetch: handler, hostname: "127.0.0.1", port: first.port }), (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.match(error.message, /^keel_open failed \(KEEL_ERR_IO\): .+/);
        assert.ok(error.message.includes(String(first.port)), error.message);
        return true;
      });
    } finally {
      await first.stop();
    }
  });

  test("route tables the router cannot serve are refused with the route named", () => {
    const refused = (routes: ServeOptions["routes"], message: RegExp) =>
      assert.throws(() => serve({ hostname: "127.0.0.1", port: 0, routes }), (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.match(error.message, /^keel_open failed \(KEEL_ERR_CONFIG\): /);
        assert.match(error.message, message);
        return true;
      });
    refused({ "/a/:id/b/:id": handler }, /route path "\/a\/:id\/b\/:id" names the parameter "id" twice/);
    refused({ "/a/:": handler }, /has a ':' with no parameter name after it/);
    refused({ "/a/:id": handler, "/a/:name": handler }, /route \* \/a\/:name: .*conflict/);
  });

  test("stop() checks its grace period", async () => {
    const server = serve({ fetch: handler, hostname: "127.0.0.1", port: 0 });
    try {
      assert.throws(() => server.stop({ graceMs: -5 }), /"graceMs" must be a whole number of milliseconds, got -5/);
    } finally {
      await server.stop();
    }
  });
});
