// Finds the Bun executable the benchmarks run: perf's own dependency (perf/package.json), installed
// with `npm ci` in perf/ when it is missing.

import { spawnSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { join } from "node:path";

/** The real path of perf/node_modules/.bin/bun (no shim in between: its pid is Bun's). */
export function findBun(perfDir, { log = console.error } = {}) {
  const bin = join(perfDir, "node_modules", ".bin", "bun");
  if (!existsSync(bin)) {
    log("Bun is not installed in perf/: npm ci …");
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const run = spawnSync(npm, ["ci", "--no-audit", "--no-fund"], { cwd: perfDir, stdio: ["ignore", "ignore", "inherit"], timeout: 300_000 });
    if (run.status !== 0 || !existsSync(bin)) {
      throw new Error(`Could not install Bun for the benchmarks: run \`npm ci\` in ${perfDir} and try again.`);
    }
  }
  const path = realpathSync(bin);
  const version = spawnSync(path, ["--version"], { encoding: "utf8", timeout: 10_000 });
  if (version.status !== 0) throw new Error(`${path} --version failed: ${version.stderr || version.error?.message}`);
  return { path, version: version.stdout.trim() };
}
