// Finds the Bun executable the benchmarks run: perf's own dependency (perf/package.json, which
// lib/setup.mjs installs).

import { spawnSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { join } from "node:path";

/** The real path of perf/node_modules/.bin/bun (no shim in between: its pid is Bun's), and its version. */
export function findBun(perfDir) {
  const bin = join(perfDir, "node_modules", ".bin", "bun");
  if (!existsSync(bin)) throw new Error(`Bun is not installed in perf/: run \`npm install\` in ${perfDir} and try again.`);
  const path = realpathSync(bin);
  const version = spawnSync(path, ["--version"], { encoding: "utf8", timeout: 10_000 });
  if (version.status !== 0) throw new Error(`${path} --version failed: ${version.stderr || version.error?.message}`);
  return { path, version: version.stdout.trim() };
}
