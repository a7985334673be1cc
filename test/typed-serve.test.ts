// serve({ app }) against the manifest: every way the app and what `keel gen` wrote can disagree
// is refused before the server opens, naming the endpoint and the fix; api() misuse too.

import assert from "node:assert/strict";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { api, serve, type ServeOptions } from "keel";
import { after, before, describe, test } from "./harness.js";
import { capturingConsole, capturingErrors, startServer } from "./support.js";
import * as app from "./typed/app.js";
import { generateApp, removeDir } from "./typed-support.js";

describe("serve({ app }) and the manifest", () => {
  let manifest = "";
  before(() => void (manifest = generateApp("test/typed/app.ts")));
  after(() => removeDir(manifest));

  /** serve() must throw an Error whose message matches every pattern. */
  function refuses(options: ServeOptions, ...patterns: RegExp[]): void {
    assert.throws(
      () => serve({ hostname: "127.0.0.1", port: 0, ...options }),
      (error: unknown) => {
        assert.ok(error instanceof Error);
        for (const pattern of patterns) assert.match(error.message, pattern);
        return true;
      },
    );
  }

  test("a missing manifest names where it looked and how to make one", () => {
    refuses({ app, manifest: "/nonexistent/.keel" }, /there is no manifest\.bin in \/nonexistent\/\.keel/, /run `keel gen`/);
    const saved = process.env.KEEL_OUT;
    process.env.KEEL_OUT = "/nonexistent/out";
    try {
      refuses({ app }, /no manifest was found \(looked in \/nonexistent\/out\)/, /run `keel gen`/, /serve\(\{ manifest:/);
    } finally {
      if (saved === undefined) delete process.env.KEEL_OUT;
      else process.env.KEEL_OUT = saved;
    }
  });

  test("an endpoint the manifest does not have: stale, run keel gen", () => {
    const extra = api({ method: "GET", path: "/extra" }, async (): Promise<void> => {});
    refuses({ app: { ...app, extra }, manifest }, /endpoint "extra" \(GET \/extra\) is not in the manifest/, /stale/, /run `keel gen`/);
  });

  test("an endpoint that changed method or path", () => {
    const moved = api({ method: "GET", path: "/item/:id" }, app.getItem.handler);
    refuses({ app: { ...app, getItem: moved }, manifest }, /endpoint "getItem" is GET \/item\/:id in the app but GET \/items\/:id in the manifest/);
  });

  test("an endpoint exported under another name is pointed to its name", () => {
    const { getItem, ...rest } = app;
    refuses({ app: { ...rest, item: getItem }, manifest }, /endpoint "item" \(GET \/items\/:id\) is not in the manifest\. It has GET \/items\/:id as "getItem"/);
  });

  test("a manifest endpoint the app does not serve", () => {
    refuses(
      { app: { rules: app.rules }, manifest },
      /the manifest has endpoint "nulls" \(POST \/nulls, app\.ts:\d+\) but "app" does not/,
      /pass the module keel gen analyzed/,
    );
  });

  test("an app without endpoints, and a manifest without an app", () => {
    assert.throws(() => serve({ app: {} }), /"app" has no api\(\) endpoints/);
    assert.throws(() => serve({ app: null as unknown as object }), /"app" must be the module that exports your api\(\) endpoints/);
    assert.throws(() => serve({ fetch: () => new Response(), manifest }), /"manifest" .* but there is no "app"/);
  });

  test("the manifest folder may be given as its manifest.bin or as a file: URL", async () => {
    for (const where of [join(manifest, "manifest.bin"), new URL(`file://${manifest}/`)]) {
      const { server, base } = startServer({ app, manifest: where });
      assert.deepEqual(await (await fetch(`${base}/ping`)).json(), { pong: true, method: "GET" });
      await server.stop();
    }
  });

  test("accessors.js from another run is logged and the server stops", async () => {
    const other = generateApp("examples/schema/app.ts");
    const mixed = generateApp("test/typed/app.ts");
    try {
      copyFileSync(join(other, "accessors.js"), join(mixed, "accessors.js"));
      const { logged } = await capturingErrors(async () => {
        const { server } = startServer({ app, manifest: mixed });
        await server.stop(); // resolves once the failed start has shut the server down
      });
      const messages = logged.flat().map(String).join("\n");
      assert.match(messages, /cannot load the typed endpoints' accessors; the server is stopping/);
      assert.match(messages, /accessors\.js does not match manifest\.json \(endpoint "\w+"\): they come from different runs; run `keel gen`/);
    } finally {
      removeDir(other);
      removeDir(mixed);
    }
  });

  test("the generated writers answer, unless they were made for another JsonOut", async () => {
    // Two folders: a module is imported once per path.
    const current = generateApp("test/typed/app.ts");
    const older = generateApp("test/typed/app.ts");
    const VERSION_LINE = /^export const jsonOutVersion = \d+;$/m;
    const generated = readFileSync(join(current, "accessors.js"), "utf8");
    assert.match(generated, VERSION_LINE);
    // Writers that throw if they run: a reply tells whether the runtime used them.
    const throwing = generated.replaceAll("out.endObject(open);", 'throw new Error("the generated writer ran");');
    const postText = async (manifest: string) => {
      const { server, base } = startServer({ app, manifest });
      try {
        const res = await fetch(`${base}/text`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text: "héllo" }) });
        return { status: res.status, type: res.headers.get("content-type"), body: await res.text() };
      } finally {
        await server.stop();
      }
    };
    try {
      writeFileSync(join(current, "accessors.js"), throwing);
      const { result: { result: used, logged }, logged: warned } = await capturingConsole("warn", () => capturingErrors(() => postText(current)));
      assert.equal(used.status, 500, "a writer made for this JsonOut is used");
      assert.match(logged.flat().map(String).join("\n"), /the generated writer ran/);
      assert.deepEqual(warned, []);

      writeFileSync(join(older, "accessors.js"), throwing.replace(VERSION_LINE, "")); // as an older keel gen wrote it
      const { result: fallback, logged: warnedOlder } = await capturingConsole("warn", () => postText(older));
      assert.deepEqual(fallback, { status: 200, type: "application/json", body: JSON.stringify({ text: "héllo", length: 5 }) });
      assert.match(warnedOlder.flat().map(String).join("\n"), /accessors\.js was generated by another version of keel gen; its response writers are not used.*Run `keel gen`/);
    } finally {
      removeDir(current);
      removeDir(older);
    }
  });
});

describe("api()", () => {
  test("checks its options and handler", () => {
    const handler = async (): Promise<void> => {};
    assert.throws(() => api({ method: "FETCH" as "GET", path: "/a" }, handler), /method "FETCH" is not one of GET, HEAD/);
    assert.throws(() => api({ method: "GET", path: "a" }, handler), /path must start with "\/"/);
    assert.throws(() => api({ method: "GET", path: "/a" }, "x" as unknown as typeof handler), /the handler must be a function/);
    const endpoint = api({ method: "GET", path: "/a" }, handler);
    assert.deepEqual(endpoint.options, { method: "GET", path: "/a", raw: false });
    assert.equal(endpoint.handler, handler);
    assert.ok(Object.isFrozen(endpoint));
  });
});
