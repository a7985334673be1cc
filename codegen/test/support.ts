// Shared by the codegen tests: where the fixtures are (from the sources or from their compiled
// copies in dist/), snapshot comparison, and flatc.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the first folder above this file that holds codegen/test/fixtures. */
export const repoRoot = (() => {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, "codegen", "test", "fixtures"))) return dir;
  }
  throw new Error("cannot find codegen/test/fixtures above " + import.meta.url);
})();

export const fixturesDir = join(repoRoot, "codegen", "test", "fixtures");

/** With KEEL_UPDATE_SNAPSHOTS=1, snapshots are rewritten instead of compared. */
export const updating = process.env.KEEL_UPDATE_SNAPSHOTS === "1";

/** Compares `actual` with the file's content, or writes it there when updating or new. */
export function matchSnapshot(path: string, actual: string): void {
  if (updating || !existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    if (!updating) assert.fail(`wrote the missing snapshot ${path}; check it in and run again`);
    return;
  }
  assert.equal(actual, readFileSync(path, "utf8"), `${path} is out of date (KEEL_UPDATE_SNAPSHOTS=1 rewrites it)`);
}

/** flatc's path, or undefined when it is not installed (CI installs it). */
export const flatc: string | undefined = (() => {
  const found = spawnSync("flatc", ["--version"], { encoding: "utf8" });
  return found.status === 0 ? "flatc" : undefined;
})();

export function runFlatc(args: readonly string[], cwd: string): { status: number | null; output: string } {
  const run = spawnSync(flatc ?? "flatc", args, { cwd, encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
