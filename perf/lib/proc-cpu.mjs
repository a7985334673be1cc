// CPU time and memory of a running process, from /proc (Linux only).
//
// utime + stime (fields 14 and 15 of a stat file) are in clock ticks. /proc/<pid>/stat counts
// every thread the process ever had, including threads that exited, and /proc/<pid>/task/<pid>/stat
// counts the main thread alone — the JS thread of Node and Bun. "Other threads" is the
// difference, so a worker thread that exits in the middle of a window is still counted.
// The kernel floors each of the four numbers to a tick on its own, so a difference can be off by a
// few ticks (10 ms each at 100 Hz): negligible over a window of seconds, and clamped at 0.

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

let ticksPerSecond;

/** The kernel's clock tick rate (`getconf CLK_TCK`, 100 almost everywhere). */
export function clockTicksPerSecond() {
  if (ticksPerSecond === undefined) {
    const value = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8", timeout: 5000 }).trim());
    if (!Number.isInteger(value) || value <= 0) throw new Error(`getconf CLK_TCK answered ${value}`);
    ticksPerSecond = value;
  }
  return ticksPerSecond;
}

/** utime + stime of a stat file, in ticks. */
function statTicks(path) {
  const text = readFileSync(path, "utf8");
  // Field 2 (comm) is in parentheses and may hold spaces or ')'; fields 3… follow the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return Number(fields[14 - 3]) + Number(fields[15 - 3]);
}

/**
 * A snapshot of `pid`'s CPU time in ticks: `main` (the thread whose tid is pid), `total` (all
 * threads, living and exited), `other` (total − main), and `threads` (living tasks now).
 */
export function cpuSnapshot(pid) {
  const main = statTicks(`/proc/${pid}/task/${pid}/stat`);
  const total = statTicks(`/proc/${pid}/stat`);
  const threads = readdirSync(`/proc/${pid}/task`).length;
  return { main, total, other: total - main, threads };
}

/** utime + stime of the whole process `pid` in ticks, or undefined once it is gone. */
export function processTicks(pid) {
  try {
    return statTicks(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
}

/** CPU microseconds per request between two snapshots, split into JS thread and the rest. */
export function cpuPerRequest(before, after, requests) {
  const usPerTick = 1e6 / clockTicksPerSecond();
  const main = after.main - before.main;
  const other = Math.max(0, after.other - before.other);
  const per = (ticks) => (requests > 0 ? (ticks * usPerTick) / requests : NaN);
  return {
    jsUs: per(main),
    otherUs: per(other),
    jsSeconds: main / clockTicksPerSecond(),
    otherSeconds: other / clockTicksPerSecond(),
  };
}

/**
 * Resets `pid`'s peak resident set size (VmHWM) to its current size (writing 5 to clear_refs,
 * Linux 4.0 and later), so that the next peakRssKiB covers what follows. Best effort: where the
 * kernel refuses, the peak stays the process's lifetime peak.
 */
export function resetPeakRss(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
  } catch {
    // an older kernel, or no permission
  }
}

/** Peak resident set size (VmHWM) in KiB. */
export function peakRssKiB(pid) {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]);
}
