// Facts about the machine and the tools, for the results header.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, release, totalmem } from "node:os";

/** `{ cores, cpuModel, kernel, memoryGiB }` */
export function machineInfo() {
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? "unknown";
  return { cores: availableParallelism(), cpuModel, kernel: release(), memoryGiB: Math.round(totalmem() / 2 ** 30) };
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

/** Machine-wide CPU counters from /proc/stat, in ticks: `{ busy, total }`. */
export function machineTicks() {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((sum, n) => sum + n, 0);
  return { busy: total - fields[3] - fields[4], total }; // idle and iowait are not busy
}
