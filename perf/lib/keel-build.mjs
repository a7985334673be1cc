// Checks that Keel's build outputs exist before a benchmark starts them, and warns when they are
// older than their sources (a stale build measures old code).

import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * What goes into the library: the crates' code and manifests, not their tests or benches (cargo
 * does not relink the library when only those change, so counting them gave false warnings).
 */
const LIBRARY_SOURCES = ["Cargo.toml", "Cargo.lock"].concat(
  ...["keel-core", "keel-runtime", "keel-ffi"].map((crate) => [`crates/${crate}/src`, `crates/${crate}/Cargo.toml`]),
);

/** What the Keel servers need, with the command that makes each. */
export function keelArtifacts(root) {
  return {
    library: {
      path: join(root, "target/release/libkeel_ffi.so"),
      outputs: ["target/release/libkeel_ffi.so"],
      sources: LIBRARY_SOURCES,
      build: "npm run build:native",
    },
    dist: {
      path: join(root, "dist/bindings/node/index.js"),
      // tsc's incremental build rewrites only the outputs whose text changed (a comment-only edit
      // rewrites none), but records every build of changed sources in its build-info file.
      outputs: ["dist/.tsbuildinfo", "dist/bindings/core", "dist/bindings/node", "dist/examples/schema"],
      sources: ["bindings/core", "bindings/node", "examples/schema/app.ts"],
      build: "npm run build:ts",
    },
    ceiling: {
      path: join(root, "target/release/examples/ceiling"),
      outputs: ["target/release/examples/ceiling"],
      sources: [...LIBRARY_SOURCES, "crates/keel-runtime/examples"],
      build: "cargo build --release -p keel-runtime --example ceiling",
    },
    // What this host charges for a syscall and a thread wake-up, stated with every lab run.
    hostProbe: {
      path: join(root, "target/release/examples/host_probe"),
      outputs: ["target/release/examples/host_probe"],
      sources: ["crates/keel-runtime/examples/host_probe.rs"],
      build: "cargo build --release -p keel-runtime --example host_probe",
    },
    // The typed /schema endpoint: the manifest and accessors `keel gen` writes for examples/schema.
    // No mtimes to compare: keel gen rewrites nothing when its inputs are unchanged, and knows.
    schemaApp: {
      path: join(root, "examples/schema/.keel/manifest.bin"),
      outputs: [],
      sources: [],
      build: "node dist/codegen/cli.js gen --app examples/schema/app.ts --out examples/schema/.keel",
    },
    bunEntry: { path: join(root, "bindings/bun/index.ts"), outputs: [], sources: [], build: "git checkout -- bindings" },
  };
}

/**
 * Throws one Error listing every missing artifact of `names` and the commands to build them (run
 * at `root`). Returns warnings for artifacts older than their sources.
 */
export function checkKeelBuild(root, names) {
  const artifacts = keelArtifacts(root);
  const missing = names.map((name) => artifacts[name]).filter((artifact) => !existsSync(artifact.path));
  if (missing.length > 0) {
    const lines = missing.map((artifact) => `  ${artifact.path} is missing: run \`${artifact.build}\``);
    throw new Error(`Keel is not built:\n${lines.join("\n")}\n(in ${root}; \`npm run build\` does both)`);
  }
  const warnings = [];
  for (const name of names) {
    const artifact = artifacts[name];
    const builtAt = Math.max(0, ...artifact.outputs.map((output) => newestMtime(join(root, output))));
    const newest = Math.max(0, ...artifact.sources.map((source) => newestMtime(join(root, source))));
    if (newest > builtAt) warnings.push(`${artifact.path} is older than its sources: \`${artifact.build}\` to measure the current code.`);
  }
  return warnings;
}

/** The newest modification time of the files at `path` (a directory's own time is not counted). */
function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) {
    if (entry === "node_modules" || entry === "target") continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}
