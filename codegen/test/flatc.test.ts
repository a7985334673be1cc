// flatc is the reference for both things the generator writes in FlatBuffers terms: every
// emitted app schema must compile without a warning, and every binary manifest must decode
// against schemas/manifest.fbs to exactly the model it was written from.

import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyze } from "../analyze.js";
import { encodeManifest } from "../emit/manifest.js";
import type { Manifest } from "../model.js";
import { after, describe, test } from "../../test/harness.js";
import { fixturesDir, flatc, repoRoot, runFlatc } from "./support.js";

const apps = readdirSync(fixturesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== "errors")
  .map((entry) => entry.name);

const work = mkdtempSync(join(tmpdir(), "keel-flatc-"));

/** flatc is optional locally (CI installs it); without it these tests say so and pass. */
function withFlatc(body: () => void): () => void {
  return () => {
    if (!flatc) {
      console.warn("SKIPPED: flatc is not installed (apt-get install flatbuffers-compiler)");
      return;
    }
    body();
  };
}

/**
 * What flatc prints for our model with --defaults-json: every scalar present, absent strings
 * and vectors left out, enums by name. The model leaves scalar defaults out, so put them in.
 */
function asFlatcJson(manifest: Manifest): unknown {
  const withDefaults = (defaults: object, value: object) => ({ ...defaults, ...JSON.parse(JSON.stringify(value)) });
  return {
    version: manifest.version,
    types: manifest.types.map((type) => ({
      ...withDefaults({ element: 0, literal_kind: "String", literal_number: 0, literal_bool: false }, type),
      rules: type.rules.map((rule) => withDefaults({ value: 0 }, rule)),
      fields: type.fields?.map((field) => withDefaults({ null_id: 0 }, field)),
    })),
    endpoints: manifest.endpoints,
    app_fbs: manifest.app_fbs,
  };
}

/** Sorts keys and drops undefined, so two JSON values compare by content only. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

describe("flatc", () => {
  after(() => rmSync(work, { recursive: true, force: true }));

  for (const name of apps) {
    test(`${name}: the app schema compiles without warnings`, withFlatc(() => {
      const { manifest } = analyze({ entry: join(fixturesDir, name, "app.ts") });
      const dir = mkdtempSync(join(work, `${name}-`));
      writeFileSync(join(dir, "app.fbs"), manifest.app_fbs);
      const { status, output } = runFlatc(["--ts", "--rust", "-o", dir, "app.fbs"], dir);
      assert.equal(status, 0, output);
      assert.doesNotMatch(output, /warning/i, output);
    }));

    test(`${name}: the manifest decodes to the model`, withFlatc(() => {
      const { manifest } = analyze({ entry: join(fixturesDir, name, "app.ts") });
      const dir = mkdtempSync(join(work, `${name}-`));
      writeFileSync(join(dir, "manifest.bin"), encodeManifest(manifest));
      const schema = join(repoRoot, "schemas", "manifest.fbs");
      const args = ["--json", "--strict-json", "--defaults-json", "--raw-binary", "-o", dir, schema, "--", "manifest.bin"];
      const { status, output } = runFlatc(args, dir);
      assert.equal(status, 0, output);
      const decoded: unknown = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
      assert.deepEqual(canonical(decoded), canonical(asFlatcJson(manifest)));
    }));
  }
});
