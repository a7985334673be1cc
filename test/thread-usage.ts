// What each thread of this process spent over a window, from Linux's /proc: CPU in clock ticks
// and how many times it went to sleep (voluntary context switches). The idle test uses it to
// tell Keel's threads and its JS loop from the runtime's own timers and collector.

import { existsSync, readdirSync, readFileSync } from "node:fs";

export interface ThreadUsage {
  readonly tid: number;
  readonly name: string;
  /** utime + stime, in clock ticks (10 ms on the kernels we run on). */
  readonly ticks: number;
  /** Voluntary context switches: each is a sleep, so each is followed by a wake-up. */
  readonly sleeps: number;
}

/** Whether this platform exposes per-thread counters (Linux). */
export const threadUsageAvailable = existsSync("/proc/self/task");

/** Every thread of this process now. Threads that exit between the listing and the read are skipped. */
export function readThreads(): Map<number, ThreadUsage> {
  const threads = new Map<number, ThreadUsage>();
  for (const entry of readdirSync("/proc/self/task")) {
    try {
      const dir = `/proc/self/task/${entry}`;
      const stat = readFileSync(`${dir}/stat`, "utf8");
      // Fields after the parenthesised name; utime and stime are the 14th and 15th of the line.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const sleeps = /^voluntary_ctxt_switches:\s*(\d+)$/m.exec(readFileSync(`${dir}/status`, "utf8"));
      const tid = Number(entry);
      threads.set(tid, {
        tid,
        name: readFileSync(`${dir}/comm`, "utf8").trim(),
        ticks: Number(fields[11]) + Number(fields[12]),
        sleeps: Number(sleeps?.[1] ?? 0),
      });
    } catch {
      // The thread ended.
    }
  }
  return threads;
}

/** What each thread alive at `after` spent since `before` (a thread born in between, all of it). */
export function usageBetween(before: Map<number, ThreadUsage>, after: Map<number, ThreadUsage>): ThreadUsage[] {
  return [...after.values()].map((now) => {
    const then = before.get(now.tid);
    return { tid: now.tid, name: now.name, ticks: now.ticks - (then?.ticks ?? 0), sleeps: now.sleeps - (then?.sleeps ?? 0) };
  });
}
