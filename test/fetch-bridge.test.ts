// The fetch bridge: the web Request a fetch-style app receives (a lazy view of Keel's request) and
// the web Responses it may answer with, seen through keel/hono with a bare `{ fetch }` app; and
// the same Responses answered by handlers of Keel's own serve().

import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve, type HonoServer } from "keel/hono";
import { after, before, describe, runtime, test } from "./harness.js";
import { json, useServer } from "./support.js";

type Route = (request: Request) => Response | Promise<Response>;

/** A server whose app answers `routes[pathname]`. */
function useFetchApp(routes: Record<string, Route>): { readonly base: string } {
  let server: HonoServer | undefined;
  before(() => {
    const fetch = (request: Request) => {
      const route = routes[new URL(request.url).pathname];
      return route ? route(request) : new Response("no route", { status: 404 });
    };
    server = serve({ fetch, hostname: "127.0.0.1", port: 0 });
  });
  after(() => server?.stop());
  return {
    get base() {
      return `http://127.0.0.1:${server!.port}`;
    },
  };
}

/** A route of the response suites: it answers without looking at the request. */
type ResponseRoute = () => Response | Promise<Response>;

/** Where the response suites' routes are served: through keel/hono, or by Keel's own serve(). */
type Via = "keel/hono" | "serve()";

/** A server answering `routes[pathname]` through `via`. */
function useResponseApp(routes: Record<string, ResponseRoute>, via: Via): { readonly base: string } {
  if (via === "keel/hono") return useFetchApp(routes);
  return useServer({ fetch: (req) => (routes[req.pathname] ?? (() => new Response("no route", { status: 404 })))() });
}

const text = (value: unknown) => new Response(JSON.stringify(value), { headers: { "content-type": "application/json" } });

describe("fetch bridge: the request", () => {
  const app = useFetchApp({
    "/describe": async (request) =>
      text({
        isRequest: request instanceof Request,
        method: request.method,
        url: request.url,
        accept: request.headers.get("accept"),
        headerNames: [...request.headers.keys()].filter((name) => name.startsWith("x-")),
        isHeaders: request.headers instanceof Headers,
        hasBody: request.body !== null,
        signal: request.signal instanceof AbortSignal && !request.signal.aborted,
        fixed: [request.cache, request.credentials, request.mode, request.redirect],
        standard: ((r) => [r.cache, r.credentials, r.mode, r.redirect])(new Request("http://localhost/")),
      }),
    "/mutable-headers": (request) => {
      request.headers.set("x-added", "later");
      return text({ added: request.headers.get("x-added") });
    },
    "/json": async (request) => text({ got: await request.json(), used: request.bodyUsed }),
    "/text": async (request) => new Response(await request.text()),
    "/bytes": async (request) => new Response(new Uint8Array(await request.arrayBuffer()).reverse()),
    "/blob": async (request) => {
      const blob = await request.blob();
      return text({ size: blob.size, type: blob.type, text: await blob.text() });
    },
    "/form": async (request) => {
      const form = await request.formData();
      const entries = await Promise.all(
        [...form].map(async ([name, value]) => [name, typeof value === "string" ? value : { file: value.name, text: await value.text() }]),
      );
      return text(entries);
    },
    "/stream": async (request) => {
      let received = "";
      const reader = request.body!.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) received += new TextDecoder().decode(r.value);
      return text({ received, used: request.bodyUsed });
    },
    "/body-checked-first": async (request) => {
      // Elysia's parser: test for a body, then read it with json().
      const stream = request.body;
      const got = stream ? await request.json() : null;
      const left = await new Response(stream).text();
      return text({ got, used: request.bodyUsed, left });
    },
    "/twice": async (request) => {
      await request.text();
      const again = await request.text().then(
        () => "read twice",
        (error: Error) => error.name,
      );
      return text({ again, used: request.bodyUsed });
    },
    "/clone": async (request) => {
      const copy = request.clone();
      return text({ original: await request.text(), copy: await copy.text() });
    },
    "/rebuild": async (request) => {
      const fromRequest = new Request(request, { method: "PUT" });
      return text({ method: fromRequest.method, url: fromRequest.url, body: await fromRequest.text() });
    },
    "/as-init": async (request) => {
      // Elysia's mount() does this: the view as the init of a new Request.
      const moved = new Request("http://elsewhere.test/moved", request);
      return text({ method: moved.method, accept: moved.headers.get("accept"), body: await moved.text() });
    },
  });

  test("method, url, headers, body and signal of a plain GET", async () => {
    const res = await fetch(`${app.base}/describe?a=1&b=%20`, { headers: { accept: "text/x-keel", "x-one": "1", "x-two": "2" } });
    const described = await json(res);
    assert.deepEqual(described.fixed, described.standard); // the runtime's own defaults
    delete described.standard;
    assert.deepEqual(described, {
      isRequest: true,
      method: "GET",
      url: `${app.base}/describe?a=1&b=%20`,
      accept: "text/x-keel",
      headerNames: ["x-one", "x-two"],
      isHeaders: true,
      hasBody: false,
      signal: true,
      fixed: described.fixed,
    });
  });

  test("headers are a real, mutable Headers", async () => {
    assert.deepEqual(await json(await fetch(`${app.base}/mutable-headers`)), { added: "later" });
  });

  test("json(), text() and arrayBuffer()", async () => {
    const sent = { name: "Ada", tags: ["é", "✓"] };
    assert.deepEqual(await json(await fetch(`${app.base}/json`, { method: "POST", body: JSON.stringify(sent) })), { got: sent, used: true });
    assert.equal(await (await fetch(`${app.base}/text`, { method: "POST", body: "héllo" })).text(), "héllo");
    const bytes = new Uint8Array(await (await fetch(`${app.base}/bytes`, { method: "POST", body: new Uint8Array([1, 2, 3]) })).arrayBuffer());
    assert.deepEqual([...bytes], [3, 2, 1]);
  });

  test("blob() carries the content type", async () => {
    const res = await fetch(`${app.base}/blob`, { method: "POST", headers: { "content-type": "text/csv" }, body: "a,b" });
    assert.deepEqual(await json(res), { size: 3, type: "text/csv", text: "a,b" });
  });

  test("formData(): urlencoded and multipart (with a file)", async () => {
    const urlencoded = await fetch(`${app.base}/form`, { method: "POST", body: new URLSearchParams({ a: "1", b: "h é" }) });
    assert.deepEqual(await json(urlencoded), [["a", "1"], ["b", "h é"]]);
    const data = new FormData();
    data.append("title", "notes");
    data.append("upload", new Blob(["file body"], { type: "text/plain" }), "notes.txt");
    const multipart = await fetch(`${app.base}/form`, { method: "POST", body: data });
    assert.deepEqual(await json(multipart), [["title", "notes"], ["upload", { file: "notes.txt", text: "file body" }]]);
  });

  test("body is a ReadableStream of the bytes", async () => {
    assert.deepEqual(await json(await fetch(`${app.base}/stream`, { method: "POST", body: "streamed" })), { received: "streamed", used: true });
  });

  test("a body stream taken but not read leaves the body to json(), and is empty after it", async () => {
    const res = await fetch(`${app.base}/body-checked-first`, { method: "POST", body: '{"a":[1,"é"]}' });
    assert.deepEqual(await json(res), { got: { a: [1, "é"] }, used: true, left: "" });
  });

  test("a body can be read once; a second read is a TypeError", async () => {
    assert.deepEqual(await json(await fetch(`${app.base}/twice`, { method: "POST", body: "x" })), { again: "TypeError", used: true });
  });

  test("clone() gives an independent copy", async () => {
    assert.deepEqual(await json(await fetch(`${app.base}/clone`, { method: "POST", body: "twin" })), { original: "twin", copy: "twin" });
  });

  test("new Request(request) and new Request(url, request) work", async () => {
    assert.deepEqual(await json(await fetch(`${app.base}/rebuild`, { method: "POST", body: "moved" })), {
      method: "PUT",
      url: `${app.base}/rebuild`,
      body: "moved",
    });
    const asInit = await fetch(`${app.base}/as-init`, { method: "POST", headers: { accept: "x/y" }, body: "along" });
    assert.deepEqual(await json(asInit), { method: "POST", accept: "x/y", body: "along" });
  });
});

describe("fetch bridge: a request read after its response", () => {
  const seen = new Map<string, string>();
  let server: HonoServer | undefined;
  before(() => {
    const fetch = (request: Request) => {
      // Read later, once the ring has moved on (a small ring, so that it wraps many times).
      setTimeout(() => seen.set(request.headers.get("x-id")!, `${new URL(request.url).search} ${request.method}`), 50);
      return new Response("ok");
    };
    server = serve({ fetch, hostname: "127.0.0.1", port: 0, requestRingBytes: 64 * 1024 });
  });
  after(() => server?.stop());

  test("stays readable, whatever reused its slots meanwhile", async () => {
    for (let wave = 0; wave < 6; wave++) {
      const ids = Array.from({ length: 100 }, (_, i) => `${wave}-${i}`);
      await Promise.all(ids.map((id) => fetch(`http://127.0.0.1:${server!.port}/later?id=${id}`, { headers: { "x-id": id } }).then((r) => r.text())));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(seen.size, 600);
    for (const [id, value] of seen) assert.equal(value, `?id=${id} GET`);
  });
});

// A Response made while the handler runs synchronously is Keel's light one, and one made after an
// await is the runtime's own (core/web-globals.ts; on Node keel/hono keeps the light one global):
// all are sent the same.
for (const via of ["keel/hono", "serve()"] as const) {
  for (const when of ["at once", "after an await"] as const) {
    describe(`fetch bridge: the response through ${via}, made ${when}`, () => describeResponses(via, when === "after an await"));
  }
}

function describeResponses(via: Via, afterAwait: boolean): void {
  let upstream = "";
  const routes: Record<string, ResponseRoute> = {
    "/string": () => new Response("plain text"),
    "/json": () => Response.json({ ok: true }, { status: 201 }),
    "/binary": () => new Response(new Uint8Array([0, 255, 1]), { headers: { "content-type": "application/x-keel" } }),
    "/buffer": () => new Response(new Uint16Array([1, 2]).buffer),
    "/blob": () => new Response(new Blob(["from a blob"], { type: "text/x-blob" })),
    "/params": () => new Response(new URLSearchParams({ a: "1" })),
    "/cookies": () => {
      const headers = new Headers({ "content-type": "text/plain" });
      headers.append("set-cookie", "a=1; Path=/");
      headers.append("set-cookie", "b=2; HttpOnly");
      return new Response("cookies", { headers });
    },
    "/head": () => new Response("a body HEAD does not get", { headers: { "x-head": "yes" } }),
    "/no-content": () => new Response(null, { status: 204, headers: { "x-none": "1" } }),
    "/not-modified": () => new Response(null, { status: 304, headers: { etag: '"v1"' } }),
    "/redirect": () => Response.redirect("http://example.com/elsewhere", 307),
    "/redirect-header": () => new Response(null, { status: 302, headers: { location: "/string" } }),
    "/proxied": () => fetch(`${upstream}/string`),
    "/status-text": () => new Response("teapot", { status: 418, statusText: "I'm a teapot" }),
    "/changed-headers": () => {
      const res = new Response("changed", { headers: { "X-Given": "1", "x-kept": "yes" } });
      res.headers.set("x-given", "2");
      res.headers.append("x-added", "3");
      res.headers.delete("x-kept");
      return res;
    },
    "/json-headers": () => Response.json({ ok: true }, { headers: { "x-json": "1" } }),
    "/init-object-changed": () => {
      const init = { "x-init": "as made" };
      const res = new Response("made", { headers: init });
      init["x-init"] = "changed later";
      return res;
    },
    "/json-own-type": () => Response.json({ ok: true }, { headers: { "Content-Type": "application/vnd.keel+json" } }),
  };
  if (afterAwait) {
    for (const [path, route] of Object.entries(routes)) routes[path] = async () => (await Promise.resolve(), route());
  }
  const app = useResponseApp(routes, via);
  before(() => void (upstream = app.base));

  test("a string is text/plain UTF-8", async () => {
    const res = await fetch(`${app.base}/string`);
    assert.match(res.headers.get("content-type")!, /^text\/plain;charset=utf-8$/i);
    assert.equal(await res.text(), "plain text");
  });

  test("Response.json() with a status", async () => {
    const res = await fetch(`${app.base}/json`);
    assert.equal(res.status, 201);
    assert.match(res.headers.get("content-type")!, /^application\/json/);
    assert.deepEqual(await res.json(), { ok: true });
  });

  test("bytes, ArrayBuffers, Blobs and URLSearchParams", async () => {
    const binary = await fetch(`${app.base}/binary`);
    assert.equal(binary.headers.get("content-type"), "application/x-keel");
    assert.deepEqual([...new Uint8Array(await binary.arrayBuffer())], [0, 255, 1]);
    assert.deepEqual([...new Uint16Array(await (await fetch(`${app.base}/buffer`)).arrayBuffer())], [1, 2]);
    const blob = await fetch(`${app.base}/blob`);
    assert.equal(blob.headers.get("content-type"), "text/x-blob");
    assert.equal(await blob.text(), "from a blob");
    const params = await fetch(`${app.base}/params`);
    assert.match(params.headers.get("content-type")!, /^application\/x-www-form-urlencoded/);
    assert.equal(await params.text(), "a=1");
  });

  test("every Set-Cookie header is sent", async () => {
    const res = await fetch(`${app.base}/cookies`);
    assert.deepEqual(res.headers.getSetCookie(), ["a=1; Path=/", "b=2; HttpOnly"]);
  });

  test("HEAD: headers without the body", async () => {
    const res = await fetch(`${app.base}/head`, { method: "HEAD" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-head"), "yes");
    assert.equal(await res.text(), "");
  });

  test("204 and 304 go out without a body", async () => {
    const none = await fetch(`${app.base}/no-content`);
    assert.equal(none.status, 204);
    assert.equal(none.headers.get("x-none"), "1");
    assert.equal(none.headers.get("content-type"), null);
    assert.equal(await none.text(), "");
    const notModified = await fetch(`${app.base}/not-modified`);
    assert.equal(notModified.status, 304);
    assert.equal(notModified.headers.get("etag"), '"v1"');
  });

  test("redirects: Response.redirect() and a Location header", async () => {
    const redirect = await fetch(`${app.base}/redirect`, { redirect: "manual" });
    assert.equal(redirect.status, 307);
    assert.equal(redirect.headers.get("location"), "http://example.com/elsewhere");
    const followed = await fetch(`${app.base}/redirect-header`);
    assert.equal(followed.redirected, true);
    assert.equal(await followed.text(), "plain text");
  });

  test("a Response from fetch() is passed through", async () => {
    const res = await fetch(`${app.base}/proxied`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "plain text");
  });

  test("headers changed after the Response was made are the ones sent", async () => {
    const res = await fetch(`${app.base}/changed-headers`);
    assert.equal(res.headers.get("x-given"), "2");
    assert.equal(res.headers.get("x-added"), "3");
    assert.equal(res.headers.get("x-kept"), null);
    assert.equal(await res.text(), "changed");
  });

  test("changing the init object after the Response was made changes nothing", async () => {
    const res = await fetch(`${app.base}/init-object-changed`);
    assert.equal(res.headers.get("x-init"), "as made");
  });

  test("Response.json() keeps the init headers and a content type of its own", async () => {
    const res = await fetch(`${app.base}/json-headers`);
    assert.equal(res.headers.get("x-json"), "1");
    assert.match(res.headers.get("content-type")!, /^application\/json/);
    const own = await fetch(`${app.base}/json-own-type`);
    assert.equal(own.headers.get("content-type"), "application/vnd.keel+json");
    assert.deepEqual(await own.json(), { ok: true });
  });

  test("any status with its body", async () => {
    const res = await fetch(`${app.base}/status-text`);
    assert.equal(res.status, 418);
    assert.equal(await res.text(), "teapot");
  });
}

/** The parts of Bun's globals these tests use (the Node build has no Bun types). */
interface BunGlobals {
  Bun: {
    write(path: string, input: Response): Promise<number>;
    file(path: string): { text(): Promise<string> };
    serve(options: { hostname: string; port: number; fetch: (request: Request) => Response }): { port: number; stop(force?: boolean): Promise<void> };
  };
  HTMLRewriter: new () => { on(selector: string, handlers: { element(element: { setInnerContent(text: string): void }): void }): { transform(response: Response): Response } };
}

// Bun only: its own APIs that take a Response, given one made in a handler under Keel (a light
// one, see core/web-globals.ts), and a Bun.serve beside Keel in the same process.
for (const via of runtime === "bun" ? (["keel/hono", "serve()"] as const) : []) {
  describe(`fetch bridge: Bun's own APIs beside Keel, through ${via}`, () => {
    const { Bun, HTMLRewriter } = globalThis as unknown as BunGlobals;
    const written = join(mkdtempSync(join(tmpdir(), "keel-bridge-")), "written.txt");
    const app = useResponseApp({
      "/rewritten": () =>
        new HTMLRewriter()
          .on("b", { element: (element) => element.setInnerContent("rewritten") })
          .transform(new Response("<p><b>as made</b></p>", { headers: { "content-type": "text/html" } })),
      "/written": async () => new Response(String(await Bun.write(written, new Response("saved by Bun.write")))),
    }, via);

    test("HTMLRewriter transforms a Response the handler made", async () => {
      const res = await fetch(`${app.base}/rewritten`);
      assert.equal(res.headers.get("content-type"), "text/html");
      assert.equal(await res.text(), "<p><b>rewritten</b></p>");
    });

    test("Bun.write writes a Response the handler made", async () => {
      const res = await fetch(`${app.base}/written`);
      assert.equal(await res.text(), String("saved by Bun.write".length));
      assert.equal(await Bun.file(written).text(), "saved by Bun.write");
    });

    test("a Bun.serve in the same process answers with the Responses it makes", async () => {
      const beside = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("from Bun.serve", { status: 202 }) });
      try {
        const res = await fetch(`http://127.0.0.1:${beside.port}/`);
        assert.equal(res.status, 202);
        assert.equal(await res.text(), "from Bun.serve");
      } finally {
        await beside.stop(true);
      }
    });
  });
}
