// One benchmark session, from setup to raw numbers: tools and builds, the measured rounds, and
// the facts (machine, versions) that the results header states.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findBun } from "./bun.mjs";
import { buildNeeds } from "./contenders.mjs";
import { checkKeelBuild, keelArtifacts } from "./keel-build.mjs";
import { gitCommit, machineInfo, probeHost, waitForQuiet } from "./machine.mjs";
import { clockTicksPerSecond } from "./proc-cpu.mjs";
import { runRounds } from "./runner.mjs";
import { buildKeel, installPerfPackages } from "./setup.mjs";
import { ensureWrk } from "./wrk.mjs";

/**
 * Sets up (unless `opts.build` is false), then measures `opts.contenders` on `workloads`.
 * Resolves with `{ started, finished, setupSeconds, machine, versions, runs, warnings }`.
 */
export async function runSession({ perfDir, root, opts, workloads, log }) {
  if (process.platform !== "linux") throw new Error("The benchmarks read /proc: they run on Linux only.");
  const setupStarted = Date.now();
  const wrkVersion = ensureWrk({ log });
  if (opts.build) installPerfPackages(perfDir, { log });
  const bun = opts.contenders.some((c) => c.runtime === "bun") ? findBun(perfDir) : null;
  const needs = buildNeeds(opts.contenders);
  // The host probe is built with the rest but is not required: without it the header says less.
  if (opts.build) buildKeel(root, [...needs, "hostProbe"], { log });
  const warnings = needs.length > 0 ? checkKeelBuild(root, needs) : [];
  clockTicksPerSecond();
  for (const warning of warnings) log(`warning: ${warning}`);
  const setupSeconds = (Date.now() - setupStarted) / 1000;
  // Like every round, the probe waits for the build's leftovers to settle first.
  if (opts.quietWait > 0) await waitForQuiet({ timeoutMs: opts.quietWait * 1000 });
  const host = probeHost(keelArtifacts(root).hostProbe.path, { log });

  const started = new Date();
  const runs = await runRounds({ contenders: opts.contenders, workloads, opts, perfDir, bunPath: bun?.path, log, warnings });
  const versions = {
    bun: bun?.version ?? "not used",
    node: process.version,
    wrk: wrkVersion,
    keel: gitCommit(root, ["crates", "bindings", "examples/schema", "Cargo.toml", "Cargo.lock"]),
    packages: packageVersions(perfDir),
  };
  return { started, finished: new Date(), setupSeconds, machine: { ...machineInfo(), host }, versions, runs, warnings };
}

/** The installed version of each of perf/package.json's dependencies but Bun (named apart). */
function packageVersions(perfDir) {
  const manifest = JSON.parse(readFileSync(join(perfDir, "package.json"), "utf8"));
  const versions = {};
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    const file = join(perfDir, "node_modules", name, "package.json");
    if (name !== "bun" && existsSync(file)) versions[name] = JSON.parse(readFileSync(file, "utf8")).version;
  }
  return versions;
}

/** The header lines every results file starts with: date, machine, versions, load. */
export function headerLines({ started, machine, versions, opts }, { packages = false } = {}) {
  const pkgs = Object.entries(versions.packages ?? {}).map(([name, version]) => `${name} ${version}`);
  return [
    `- Date: ${started.toISOString().replace(/\.\d+Z$/, "Z")}`,
    `- Machine: ${machine.cores} cores, ${machine.cpuModel}, ${machine.memoryGiB} GiB, Linux ${machine.kernel}${hostCosts(machine.host)}`,
    `- Versions: bun ${versions.bun}, node ${versions.node}, ${versions.wrk}, keel ${versions.keel}`,
    ...(packages && pkgs.length ? [`- Packages: ${pkgs.join(", ")}`] : []),
    `- Load: \`wrk -t${opts.wrkThreads} -c${opts.connections} -d${opts.duration}s --latency\` on 127.0.0.1, ` +
      `${opts.warmup} s warm-up, ${opts.runs} run(s) per contender, interleaved; a fresh server per contender and round`,
  ];
}

/** What the host probe measured, as the end of the Machine line ("" when it did not run). */
function hostCosts(host) {
  if (!host) return "";
  const across = host.wakeAcrossCoresUs === null ? "" : ` and ${host.wakeAcrossCoresUs} µs across cores`;
  return `; a syscall ${host.syscallNs} ns, a wake-up round trip ${host.wakeOneCoreUs} µs on one core${across} (host_probe)`;
}

/** Every run's numbers as JSON in perf/.results/ (not committed), for a closer look later. */
export function saveRaw(perfDir, prefix, results) {
  const dir = join(perfDir, ".results");
  mkdirSync(dir, { recursive: true });
  const stamp = results.started.toISOString().replace(/[:.]/g, "-");
  const file = join(dir, `${prefix}-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}
