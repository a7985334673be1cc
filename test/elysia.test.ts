// Elysia apps on Keel through Elysia's adapter interface (`new Elysia({ adapter: keel() })`): a
// real app with `t` validation, hooks and an error handler answers a corpus of requests exactly
// as Elysia's own server does (Bun.serve on Bun, @elysiajs/node on Node); listen, stop, the
// server object and streaming work.

import assert from "node:assert/strict";
import { Elysia } from "elysia";
import { keel } from "keel/elysia";
import { createElysiaApp } from "./apps/elysia-app.js";
import { answer, multipart, useNativeServer, type Answer, type Exchange } from "./differential.js";
import { after, before, describe, runtime, test } from "./harness.js";
import { deferred, freePort } from "./support.js";

const json = (value: unknown) => ({ headers: { "content-type": "application/json" }, body: JSON.stringify(value) });
const form = multipart({ title: "hello", tag: "a" });

const CORPUS: Exchange[] = [
  { name: "text", path: "/" },
  { name: "HEAD of a text route", method: "HEAD", path: "/" },
  { name: "JSON", path: "/json" },
  { name: "unicode text", path: "/unicode" },
  { name: "t.Numeric param", path: "/users/42" },
  { name: "t.Numeric param: invalid", path: "/users/abc" },
  { name: "t.Object body", method: "POST", path: "/users", ...json({ name: "Ada", age: 36 }) },
  { name: "t.Object body: invalid", method: "POST", path: "/users", ...json({ name: "", age: 1.5 }) },
  { name: "t.Object body: malformed JSON", method: "POST", path: "/users", headers: { "content-type": "application/json" }, body: "{nope" },
  { name: "query", path: "/search?q=keel&page=2" },
  { name: "query: missing required", path: "/search?page=2" },
  { name: "request headers", path: "/headers", headers: { "x-custom": "yes" } },
  { name: "urlencoded form", method: "POST", path: "/form", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "a=1&b=h%C3%A9" },
  { name: "multipart form", method: "POST", path: "/form", headers: { "content-type": form.type }, body: form.body },
  { name: "text body", method: "POST", path: "/text", headers: { "content-type": "text/plain" }, body: "é".repeat(100) },
  { name: "beforeHandle refuses", path: "/me" },
  { name: "derive + beforeHandle pass", path: "/me", headers: { authorization: "Bearer ada" } },
  { name: "set.status and set.headers", path: "/status" },
  { name: "a cookie", path: "/cookie" },
  { name: "redirect", path: "/redirect" },
  { name: "a custom error", path: "/premium" },
  { name: "a throwing handler", path: "/error" },
  { name: "a Response from the handler", path: "/response" },
  { name: "an async handler's value", path: "/later" },
  { name: "an async handler's Response", path: "/later-response" },
  { name: "a static answer", path: "/static" },
  { name: "204", path: "/no-content" },
  { name: "not found", path: "/nowhere" },
];

/**
 * Where @elysiajs/node answers unlike Elysia itself. Its response mapping sets "text/plain" on
 * every string it sends, over the "application/json" that Elysia's validation handler sets; Keel
 * uses Elysia's own web-standard mapping and sends what Elysia on Bun sends.
 */
const ELYSIA_NODE_QUIRKS: Record<string, (native: Answer) => Answer> = Object.fromEntries(
  ["t.Numeric param: invalid", "t.Object body: invalid", "query: missing required"].map((name) => [
    name,
    (native: Answer) => ({ ...native, headers: { ...native.headers, "content-type": "application/json" } }),
  ]),
);

/** Keel's Elysia server for the enclosing describe block. */
function useElysia<App extends Elysia<any, any, any, any, any, any, any>>(make: () => App): { readonly app: App; readonly base: string } {
  let app: App | undefined;
  before(() => void (app = make().listen({ hostname: "127.0.0.1", port: 0 })));
  after(() => app?.stop());
  return {
    get app() {
      return app!;
    },
    get base() {
      return `http://127.0.0.1:${app!.server!.port}`;
    },
  };
}

describe("Elysia on Keel answers like Elysia's own server", () => {
  const onKeel = useElysia(() => createElysiaApp(keel()));
  const native = useNativeServer("elysia");

  for (const exchange of CORPUS) {
    test(exchange.name, async () => {
      const fromNative = await answer(native.base, exchange);
      const quirk = runtime === "node" ? ELYSIA_NODE_QUIRKS[exchange.name] : undefined;
      assert.deepEqual(await answer(onKeel.base, exchange), quirk ? quirk(fromNative) : fromNative);
    });
  }
});

describe("Elysia on Keel: the server", () => {
  const release = deferred();
  const late = deferred<{ header: string | null; url: string }>();
  const onKeel = useElysia(() =>
    new Elysia({ adapter: keel() })
      .onAfterResponse(async ({ request, path }) => {
        if (path !== "/late") return;
        await new Promise((resolve) => setTimeout(resolve, 30)); // meanwhile, other requests reuse the ring
        late.resolve({ header: request.headers.get("x-late"), url: request.url });
      })
      .get("/late", () => "answered")
      .get("/ip", ({ server, request }) => server!.requestIP(request))
      .get("/stream", async function* () {
        yield "first;";
        await release.promise;
        yield "second";
      }),
  );

  test("app.server is Keel's: port, url, requestIP", async () => {
    const server = onKeel.app.server!;
    assert.equal(server.url.href, `http://127.0.0.1:${server.port}/`);
    const ip = (await (await fetch(`${onKeel.base}/ip`)).json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(ip).sort(), ["address", "family", "port"]);
    assert.equal(ip.address, "127.0.0.1");
  });

  test("an afterResponse hook reads the request after the response went out", async () => {
    assert.equal(await (await fetch(`${onKeel.base}/late`, { headers: { "x-late": "still here" } })).text(), "answered");
    await Promise.all(Array.from({ length: 50 }, () => fetch(`${onKeel.base}/ip`).then((r) => r.text())));
    assert.deepEqual(await late.promise, { header: "still here", url: `${onKeel.base}/late` });
  });

  test("a generator streams: the first chunk arrives before the end", async () => {
    const res = await fetch(`${onKeel.base}/stream`);
    const reader = res.body!.getReader();
    assert.equal(new TextDecoder().decode((await reader.read()).value), "first;");
    release.resolve();
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    assert.equal(rest, "second");
  });

  test("listen(port) with a number, start and stop hooks, stop() closes the port", async () => {
    const events: string[] = [];
    const app = new Elysia({ adapter: keel() })
      .onStart(() => void events.push("start"))
      .onStop(() => void events.push("stop"))
      .get("/", () => "up");
    const port = await freePort();
    app.listen(port);
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "up");
    await app.stop();
    assert.equal(app.server, null);
    assert.deepEqual(events, ["start", "stop"]);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`));
  });

  test("refuses TLS and unix sockets, and stop() before listen(), naming the problem", async () => {
    assert.throws(() => new Elysia({ adapter: keel() }).listen({ port: 0, tls: {} } as never), /"tls" is not supported with Keel's adapter/);
    await assert.rejects(new Elysia({ adapter: keel() }).stop(), /call `app.listen\(port\)` before `app.stop\(\)`/);
  });
});
