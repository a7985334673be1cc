// examples/hono and examples/elysia, run as their one command runs them (server.ts on Bun, its
// compiled copy on Node), answer over HTTP.

import assert from "node:assert/strict";
import { join } from "node:path";
import { useChildServer } from "./child-server.js";
import { describe, runtime, test } from "./harness.js";
import { json, repoRoot } from "./support.js";

/** An example's server.ts as this runtime runs it, on a free port. */
function useExample(name: string): { readonly base: string } {
  const script = runtime === "bun" ? join(repoRoot, "examples", name, "server.ts") : join(repoRoot, "dist", "examples", name, "server.js");
  return useChildServer(script, [], /listening on http:\/\/[^:]+:(\d+)\//, { PORT: "0" });
}

describe("examples/hono", () => {
  const example = useExample("hono");

  test("hello, a validated note, and who is asking", async () => {
    assert.equal(await (await fetch(`${example.base}/hello`)).text(), "Hello from Hono on Keel!");
    const created = await fetch(`${example.base}/notes`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"text":"hi"}' });
    assert.equal(created.status, 201);
    assert.deepEqual(await json(created), { id: 1, text: "hi" });
    const refused = await fetch(`${example.base}/notes`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"text":""}' });
    assert.equal(refused.status, 400);
    assert.equal((await json(await fetch(`${example.base}/whoami`))).address, "127.0.0.1");
  });

  test("server-sent events arrive one by one", async () => {
    const controller = new AbortController();
    const res = await fetch(`${example.base}/ticks`, { signal: controller.signal });
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    const first = new TextDecoder().decode((await res.body!.getReader().read()).value);
    assert.equal(first, "event: tick\ndata: 1\n\n");
    controller.abort();
  });
});

describe("examples/elysia", () => {
  const example = useExample("elysia");

  test("hello with the after-handle header, validation, and who is asking", async () => {
    const hello = await fetch(`${example.base}/hello`);
    assert.equal(hello.headers.get("x-served-by"), "keel");
    assert.equal(await hello.text(), "Hello from Elysia on Keel!");
    assert.equal((await fetch(`${example.base}/users/abc`)).status, 422);
    const created = await fetch(`${example.base}/users`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"name":"Ada","age":36}' });
    assert.equal(created.status, 201);
    assert.equal((await json(await fetch(`${example.base}/whoami`))).address, "127.0.0.1");
  });
});
