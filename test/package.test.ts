// Keel as a dependency: `import { serve } from "keel"` from another project, the error when the
// native library is missing, and the hello example. Each runs in a child process of the
// runtime running this suite (bun or node).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, runtime, test } from "./harness.js";
import { json, repoRoot } from "./support.js";

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the current runtime on `args` in `cwd` and collects its output. */
function run(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The environment of a user who configured nothing. */
function plainEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!("KEEL_LIB" in extra)) delete env.KEEL_LIB;
  return env;
}

const APP = `
import { serve } from "keel";
const server = serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => ({ body: { from: "app", path: req.pathname } }) });
const res = await fetch(new URL("/dependency", server.url.href.replace("localhost", "127.0.0.1")));
console.log(JSON.stringify(await res.json()));
await server.stop();
`;

describe("keel as a dependency", () => {
  let app: string;

  before(() => {
    // What `npm install file:<repo>` makes: node_modules/keel links to the repository.
    app = mkdtempSync(join(tmpdir(), "keel-app-"));
    writeFileSync(join(app, "package.json"), JSON.stringify({ type: "module", dependencies: { keel: `file:${repoRoot}` } }));
    mkdirSync(join(app, "node_modules"));
    symlinkSync(repoRoot, join(app, "node_modules", "keel"), "dir");
    writeFileSync(join(app, "app.mjs"), APP);
  });
  after(() => rmSync(app, { recursive: true, force: true }));

  test(`import { serve } from "keel" works from another project on ${runtime}`, async () => {
    const { code, stdout, stderr } = await run(["app.mjs"], app, plainEnv());
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout), { from: "app", path: "/dependency" });
  });

  test("a missing native library is a clear error naming the file and the fix", async () => {
    const missing = join(app, "nowhere", "libkeel_ffi.so");
    const { code, stderr } = await run(["app.mjs"], app, plainEnv({ KEEL_LIB: missing }));
    assert.notEqual(code, 0);
    assert.ok(stderr.includes(`Keel's native library was not found at ${missing}.`), stderr);
    assert.ok(stderr.includes("npm run build:native"), stderr);
    assert.ok(stderr.includes("cargo build --release -p keel-ffi"), stderr);
  });
});

describe("the hello example", () => {
  test(`serves /hello and /echo on ${runtime}`, async () => {
    const entry = runtime === "bun" ? "examples/hello/server.ts" : "examples/hello/node.mjs";
    const child = spawn(process.execPath, [entry], { cwd: repoRoot, env: plainEnv({ PORT: "0" }), stdio: ["ignore", "pipe", "inherit"] });
    try {
      const lines = createInterface({ input: child.stdout });
      const first: string = await new Promise((resolve) => lines.once("line", resolve));
      const url = /listening on (http:\/\/\S+)/.exec(first)?.[1]?.replace("localhost", "127.0.0.1");
      assert.ok(url, `the example prints its URL, got: ${first}`);

      const hello = await fetch(new URL("/hello", url));
      assert.equal(hello.status, 200);
      assert.equal(hello.headers.get("content-type"), "application/json");
      assert.deepEqual(await json(hello), { message: "Hello, World!" });

      const echo = await fetch(new URL("/echo", url), { method: "POST", headers: { "content-type": "text/x-greeting" }, body: "héllo" });
      assert.equal(echo.headers.get("content-type"), "text/x-greeting");
      assert.equal(await echo.text(), "héllo");

      const missing = await fetch(new URL("/nope", url));
      assert.equal(missing.status, 404);
      assert.equal((await json(missing)).code, "not_found");

      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      assert.equal(await exited, 0, "SIGTERM stops the server and the process exits by itself");
    } finally {
      child.kill("SIGKILL");
    }
  }, 30_000);
});
