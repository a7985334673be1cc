// Setup before a benchmark measures anything: perf/'s packages (Bun and the peer frameworks)
// and Keel's build outputs. Everything runs in the foreground, so a failure stops the benchmark
// before its first run.

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { keelArtifacts } from "./keel-build.mjs";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/**
 * Installs perf/package.json's dependencies with `npm install` (not `npm ci`: see
 * scripts/ensure.mjs) when one of them is missing or the manifests changed since the last install.
 */
export function installPerfPackages(perfDir, { log = console.error } = {}) {
  const manifest = JSON.parse(readFileSync(join(perfDir, "package.json"), "utf8"));
  const missing = Object.keys(manifest.dependencies ?? {}).filter((name) => !existsSync(join(perfDir, "node_modules", name, "package.json")));
  // npm rewrites node_modules/.package-lock.json on every install: the "installed at" marker.
  const installedAt = mtime(join(perfDir, "node_modules", ".package-lock.json"));
  const stale = installedAt < Math.max(mtime(join(perfDir, "package.json")), mtime(join(perfDir, "package-lock.json")));
  if (missing.length === 0 && !stale) return;
  log(`perf/: npm install (${missing.length ? `missing: ${missing.join(", ")}` : "package.json or the lock changed"}) …`);
  run(npm, ["install", "--no-audit", "--no-fund"], perfDir, 300_000);
}

/**
 * Builds the Keel outputs named in `names` (lib/keel-build.mjs): the library and dist/ with
 * `npm run build` at the root (after `npm install` there if its packages are missing), the
 * ceiling binary with cargo, the schema app's manifest and accessors with `keel gen`. cargo and
 * tsc only redo what changed. Throws if a step fails.
 */
export function buildKeel(root, names, { log = console.error } = {}) {
  if (names.length === 0) return;
  if (!existsSync(join(root, "node_modules", "typescript"))) {
    log("the repository's packages are missing: npm install …");
    run(npm, ["install", "--no-audit", "--no-fund"], root, 600_000);
  }
  const artifacts = keelArtifacts(root);
  const steps = [];
  if (names.includes("library") || names.includes("dist") || names.includes("schemaApp")) steps.push("npm run build");
  for (const name of ["ceiling", "hostProbe", "schemaApp"]) if (names.includes(name)) steps.push(artifacts[name].build);
  for (const step of steps) {
    log(`build: ${step} …`);
    const started = Date.now();
    run("sh", ["-c", step], root, 1_200_000);
    log(`build: ${step} done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
}

/** Runs a command with its output on stderr; throws when it fails. */
function run(command, args, cwd, timeout) {
  const result = spawnSync(command, args, { cwd, stdio: ["ignore", 2, 2], timeout });
  if (result.status !== 0) {
    const why = result.error?.message ?? (result.signal ? `killed by ${result.signal}` : `exit code ${result.status}`);
    throw new Error(`\`${[command, ...args].join(" ")}\` in ${cwd} failed (${why}).`);
  }
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
