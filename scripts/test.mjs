#!/usr/bin/env node
// `npm test`: brings the checkout up to date once, then runs the Rust tests, the Bun suite and
// the Node suite in that order. Every suite runs even if an earlier one failed; the exit code
// is non-zero if any failed.

import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

const ensure = spawnSync(process.execPath, [join(root, "scripts", "ensure.mjs")], { cwd: root, stdio: "inherit" });
if (ensure.status !== 0) process.exit(ensure.status ?? 1);

const env = { ...process.env, KEEL_SKIP_ENSURE: "1" };
const results = [];
for (const suite of ["test:rust", "test:bun", "test:node"]) {
  console.log(`\n=== npm run ${suite}`);
  const { status, error } = spawnSync(npm, ["run", "--silent", suite], { cwd: root, stdio: "inherit", env });
  results.push({ suite, passed: status === 0 && !error });
}

console.log(`\n=== ${results.map(({ suite, passed }) => `${suite}: ${passed ? "passed" : "FAILED"}`).join(", ")}`);
process.exit(results.every(({ passed }) => passed) ? 0 : 1);
