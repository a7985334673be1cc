// `keel gen` end to end: the files it writes, --check's verdicts and exit codes, and the fast
// freshness check the dev hooks rely on.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { check, generate, isFresh } from "../generate.js";
import { after, describe, runtime, test } from "../../test/harness.js";
import { fixturesDir } from "./support.js";

/** The CLI next to this test: cli.ts under Bun, its compiled cli.js under Node. */
const cli = join(dirname(dirname(fileURLToPath(import.meta.url))), runtime === "bun" ? "cli.ts" : "cli.js");

function keel(cwd: string, ...args: string[]) {
  const run = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: "utf8" });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("keel gen", () => {
  const root = mkdtempSync(join(tmpdir(), "keel-gen-"));
  cpSync(join(fixturesDir, "imports"), root, { recursive: true, filter: (path) => !/expected\./.test(path) });
  const options = { entry: join(root, "app.ts"), root, outDir: join(root, ".keel") };
  after(() => rmSync(root, { recursive: true, force: true }));

  test("writes the schema, the manifest, its dump, the accessors and the inputs record", () => {
    assert.deepEqual(generate(options), ["app.fbs", "manifest.bin", "manifest.json", "accessors.js", "accessors.d.ts", "package.json", "inputs.json"]);
    assert.deepEqual(readdirSync(options.outDir).sort(), ["accessors.d.ts", "accessors.js", "app.fbs", "inputs.json", "manifest.bin", "manifest.json", "package.json"]);
    const inputs = JSON.parse(readFileSync(join(options.outDir, "inputs.json"), "utf8")) as { files: Record<string, string> };
    assert.deepEqual(Object.keys(inputs.files), ["app.ts", "models/index.ts", "models/post.ts", "models/tag.ts", "models/user.ts", "routes.ts", "side-effect.ts"]);
    assert.deepEqual(generate(options), [], "a second run writes nothing");
    assert.ok(isFresh(options));
  });

  test("--check passes on fresh output and names what changed otherwise", () => {
    assert.deepEqual(check(options), { outdated: [], changedInputs: [] });
    const ok = keel(root, "gen", "--app", "app.ts", "--check");
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /\.keel is up to date/);

    const user = join(root, "models", "user.ts");
    writeFileSync(user, readFileSync(user, "utf8").replace("name: string;", "name: string;\n  bio?: string;"));
    assert.equal(isFresh(options), false);
    const stale = keel(root, "gen", "--app", "app.ts", "--check");
    assert.equal(stale.status, 1);
    assert.match(stale.stderr, /\.keel is stale \(app\.fbs, manifest\.bin, manifest\.json, accessors\.js, accessors\.d\.ts, inputs\.json are missing or different; sources changed since: models\/user\.ts\)/);

    const regenerated = keel(root, "gen", "--app", "app.ts");
    assert.equal(regenerated.status, 0, regenerated.stderr);
    assert.equal(keel(root, "gen", "--app", "app.ts", "--check").status, 0);
  }, 60_000);

  test("a hand edit of the output is stale too", () => {
    writeFileSync(join(options.outDir, "app.fbs"), "// edited\n");
    assert.deepEqual(check(options).outdated, ["app.fbs"]);
    generate(options);
  });

  test("an unsupported type fails with its location and exit code 1", () => {
    const bad = keel(join(fixturesDir, "errors"), "gen", "--app", "tuple.ts", "--out", join(root, "bad"));
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr, "keel gen: tuple.ts:2:18: tuples are not supported: use an array (T[]) or an object with named fields\n");
  }, 30_000);

  test("usage errors exit 2", () => {
    assert.equal(keel(root, "frobnicate").status, 2);
    assert.equal(keel(root, "gen", "--bogus").status, 2);
  }, 30_000);
});
