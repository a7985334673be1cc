// Facts about the machine and the tools, for the results header.

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism, release, totalmem } from "node:os";

/** `{ cores, cpuModel, kernel, memoryGiB }` */
export function machineInfo() {
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? "unknown";
  return { cores: availableParallelism(), cpuModel, kernel: release(), memoryGiB: Math.round(totalmem() / 2 ** 30) };
}

/**
 * What this host charges for a syscall and for waking a thread, on one core and across two
 * (crates/keel-runtime/examples/host_probe.rs): `{ syscallNs, wakeOneCoreUs, wakeAcrossCoresUs }`,
 * or null when the probe (the executable at `probe`) is not built or fails (the lab goes on
 * without it).
 */
export function probeHost(probe, { log = console.error } = {}) {
  if (!existsSync(probe)) return null;
  const run = spawnSync(probe, [], { encoding: "utf8", timeout: 60_000 });
  try {
    if (run.status !== 0) throw new Error(run.error?.message ?? `exit code ${run.status}`);
    const host = JSON.parse(run.stdout);
    log(`host: a syscall ${host.syscallNs} ns, a wake-up round trip ${host.wakeOneCoreUs} µs on one core, ${host.wakeAcrossCoresUs} µs across cores`);
    return host;
  } catch (error) {
    log(`host: the probe failed (${error.message}); the results header leaves it out`);
    return null;
  }
}

/** First line of a command's output (stdout, else stderr), or "unknown". */
export function commandLine(command, args, options = {}) {
  const run = spawnSync(command, args, { encoding: "utf8", timeout: 10_000, ...options });
  return (run.stdout?.trim() || run.stderr?.trim() || "unknown").split("\n")[0];
}

/** The repository's commit, with "+dirty" when `paths` have uncommitted changes. */
export function gitCommit(root, paths) {
  const commit = commandLine("git", ["-C", root, "rev-parse", "--short=12", "HEAD"]);
  const status = spawnSync("git", ["-C", root, "status", "--porcelain", "--", ...paths], { encoding: "utf8", timeout: 10_000 });
  const dirty = status.status === 0 && status.stdout.trim() !== "";
  return dirty ? `${commit}+dirty` : commit;
}

/**
 * Machine-wide CPU counters from /proc/stat, in ticks: `total` (every state), `busy` (all but idle
 * and iowait) and `processes` (user + nice + system: the time charged to processes, without the
 * interrupt and softirq time that loopback networking costs).
 */
export function machineTicks() {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((sum, n) => sum + n, 0);
  return { total, busy: total - fields[3] - fields[4], processes: fields[0] + fields[1] + fields[2] };
}

/** Cores busy on the machine over the next `ms` milliseconds. */
export async function busyCores(ms = 1000) {
  const before = machineTicks();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = machineTicks();
  return ((after.busy - before.busy) / (after.total - before.total)) * availableParallelism();
}

/**
 * Waits until the machine is idle (under `maxCores` busy over a second), for `timeoutMs` at most.
 * Resolves with the last load measured.
 */
export async function waitForQuiet({ maxCores = 0.15, timeoutMs = 30_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const load = await busyCores(1000);
    if (load <= maxCores || Date.now() >= deadline) return load;
  }
}
