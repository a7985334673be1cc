// Snapshot tests over the fixture corpus. Each folder in fixtures/ (but errors/) is an app whose
// entry is app.ts; its expected.fbs and expected.json (the model without app_fbs) are what
// `keel gen` must produce. Each file in fixtures/errors/ is an app that must fail with the
// message recorded for it in fixtures/errors/expected.json. KEEL_UPDATE_SNAPSHOTS=1 rewrites.

import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { analyze } from "../analyze.js";
import { KeelCodegenError } from "../errors.js";
import { describe, test } from "../../test/harness.js";
import { fixturesDir, matchSnapshot, updating } from "./support.js";

const apps = readdirSync(fixturesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== "errors")
  .map((entry) => entry.name);

describe("codegen fixtures", () => {
  for (const name of apps) {
    test(name, () => {
      const dir = join(fixturesDir, name);
      const { manifest } = analyze({ entry: join(dir, "app.ts"), root: dir });
      const { app_fbs, ...model } = manifest;
      matchSnapshot(join(dir, "expected.fbs"), app_fbs);
      matchSnapshot(join(dir, "expected.json"), JSON.stringify(model, null, 2) + "\n");
    });
  }
});

describe("codegen errors", () => {
  const errorsDir = join(fixturesDir, "errors");
  const expectedPath = join(errorsDir, "expected.json");
  const expected = JSON.parse(readFileSync(expectedPath, "utf8")) as Record<string, string>;
  const cases = readdirSync(errorsDir).filter((file) => file.endsWith(".ts") && !file.startsWith("_"));
  const actual: Record<string, string> = {};

  for (const file of cases) {
    test(file, () => {
      let message = "(no error)";
      try {
        analyze({ entry: join(errorsDir, file), root: errorsDir });
      } catch (error) {
        if (!(error instanceof KeelCodegenError)) throw error;
        message = error.message;
      }
      actual[file] = message;
      if (!updating) assert.equal(message, expected[file], `${file} (KEEL_UPDATE_SNAPSHOTS=1 rewrites expected.json)`);
    });
  }

  test("every recorded error has its fixture", () => {
    if (updating) {
      const sorted = Object.fromEntries(Object.entries(actual).sort(([a], [b]) => a.localeCompare(b)));
      writeFileSync(expectedPath, JSON.stringify(sorted, null, 2) + "\n");
      return;
    }
    assert.deepEqual(Object.keys(expected).sort(), [...cases].sort());
  });
});
