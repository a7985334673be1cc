#!/usr/bin/env node
// Brings a checkout up to date before `npm run demo` and `npm test`, doing only what is stale:
//   1. npm dependencies: installed when node_modules is missing or older than the manifests;
//   2. the native library: cargo builds it when it is missing or older than any Rust source;
//   3. the TypeScript build (dist/, for Node) and the Bun bindings' typecheck: tsc, incremental,
//      so near-free when up to date.
// Plain Node, no dependencies: it runs before they exist. KEEL_SKIP_ENSURE=1 makes it a no-op
// (scripts/test.mjs sets it after running it once).

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));

if (process.env.KEEL_SKIP_ENSURE !== "1") {
  ensureDependencies();
  ensureNativeLibrary();
  ensureTypeScriptBuild();
}

function ensureDependencies() {
  // npm rewrites node_modules/.package-lock.json on every install: our "installed at" marker.
  const marker = join(root, "node_modules", ".package-lock.json");
  const lock = join(root, "package-lock.json");
  const installedAt = mtime(marker);
  if (installedAt >= Math.max(mtime(join(root, "package.json")), mtime(lock))) return;
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  // `npm install` follows the lock file. Not `npm ci`: npm 11 refuses a lock that lacks the
  // optional per-platform packages of @swc/core, which registries may not all serve.
  run(npm, ["install", "--no-audit", "--no-fund"], "installing npm dependencies");
}

function ensureNativeLibrary() {
  const library = join(root, "target", "release", libraryFileName());
  const builtAt = mtime(library);
  const sources = [join(root, "Cargo.toml"), join(root, "Cargo.lock"), join(root, "crates")];
  if (builtAt >= Math.max(...sources.map(newestMtime))) return;
  run("cargo", ["build", "--release", "-p", "keel-ffi"], "building the native library", () =>
    "Keel's native library is built with Rust's cargo, which was not found. Install a Rust toolchain (https://rustup.rs) and try again.",
  );
}

function ensureTypeScriptBuild() {
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  run(process.execPath, [tsc, "-p", join(root, "tsconfig.json")], null); // emits dist/
  run(process.execPath, [tsc, "-p", join(root, "tsconfig.bun.json")], null); // checks bindings/bun
}

/** Runs a command in the repository, echoing `what` first; exits this process if it fails. */
function run(command, args, what, whenMissing) {
  if (what) console.error(`keel: ${what} (${command} ${args.join(" ")})`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (result.error) {
    const missing = result.error.code === "ENOENT" && whenMissing;
    console.error(missing ? `keel: ${whenMissing()}` : `keel: could not run ${command}: ${result.error.message}`);
    process.exit(1);
  }
  if (result.status !== 0) {
    console.error(`keel: \`${command} ${args.join(" ")}\` failed.`);
    process.exit(result.status ?? 1);
  }
}

function libraryFileName() {
  if (process.platform === "darwin") return "libkeel_ffi.dylib";
  if (process.platform === "win32") return "keel_ffi.dll";
  return "libkeel_ffi.so";
}

/** Modification time in ms, or 0 when the path does not exist. */
function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** The newest modification time of a file, or of any file below a directory. */
function newestMtime(path) {
  let newest = mtime(path);
  let entries;
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch {
    return newest; // a file, or nothing there
  }
  for (const entry of entries) {
    if (entry.name === "target" || entry.name.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(join(path, entry.name)));
  }
  return newest;
}
