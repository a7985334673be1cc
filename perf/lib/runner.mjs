// The measuring loop shared by the benchmarks: rounds of contenders, a fresh server per contender
// and round, each of its workloads checked, warmed up and measured with wrk, its CPU read from
// /proc per thread. See perf/README.md ("One run").

import { resolve } from "node:path";
import { checkResponse } from "./check-response.mjs";
import { machineTicks, waitForQuiet } from "./machine.mjs";
import { clockTicksPerSecond, cpuPerRequest, cpuSnapshot, peakRssKiB, resetPeakRss } from "./proc-cpu.mjs";
import { startServer } from "./spawn-server.mjs";
import { runWrk } from "./wrk.mjs";
import { wrkErrors, wrkRequest } from "./workloads.mjs";

/** Busier than this (in cores), the machine is not idle: wait before a run, flag a disturbed one. */
export const QUIET_CORES = 0.15;

/**
 * Runs `opts.runs` rounds. In each, every contender in turn starts a fresh server, which then
 * serves each of the `workloads` it answers (in an order that rotates with the round, so that no
 * workload always comes first), and stops. Returns every run (one per contender, workload and
 * round) and appends to `warnings` what the reader must know.
 *
 * `opts`: `{ runs, duration, warmup, connections, wrkThreads, quietWait }`; `perfDir`: where
 * the servers live; `bunPath`: the Bun executable; `log`: progress lines.
 */
export async function runRounds({ contenders, workloads, opts, perfDir, bunPath, log, warnings }) {
  const runs = [];
  for (let round = 1; round <= opts.runs; round++) {
    for (const contender of contenders) {
      const mine = rotate(workloads.filter((w) => contender.workloads.includes(w.id)), round - 1);
      if (mine.length === 0) continue;
      const loadBefore = opts.quietWait > 0 ? await waitForQuiet({ maxCores: QUIET_CORES, timeoutMs: opts.quietWait * 1000 }) : NaN;
      if (loadBefore > QUIET_CORES) {
        warnings.push(`${contender.name}, round ${round}: the machine was still busy (${loadBefore.toFixed(2)} cores) after waiting ${opts.quietWait} s.`);
      }
      const served = await serveWorkloads(contender, mine, opts, perfDir, bunPath);
      for (const run of served) {
        Object.assign(run, { contender: contender.name, round, loadBefore });
        run.disturbed = run.othersCores > QUIET_CORES || loadBefore > QUIET_CORES;
        runs.push(run);
        log(`run ${round}/${opts.runs}  ${run.workload.padEnd(7)} ${contender.name.padEnd(16)} ${describeRun(run)}`);
        if (run.othersCores > QUIET_CORES) {
          warnings.push(`${contender.name}, ${run.workload}, round ${round}: other processes used ${run.othersCores.toFixed(2)} cores during the window (disturbed).`);
        }
      }
      const unclean = served.find((run) => run.uncleanStop);
      if (unclean) warnings.push(`${contender.name}, round ${round}: did not exit by itself on SIGTERM (${unclean.uncleanStop}).`);
    }
  }
  return runs;
}

function rotate(list, by) {
  const k = list.length ? by % list.length : 0;
  return [...list.slice(k), ...list.slice(0, k)];
}

/** One server's life: started, each workload measured, stopped. A failure ends its workloads. */
async function serveWorkloads(contender, workloads, opts, perfDir, bunPath) {
  const native = contender.runtime === "native";
  const command = native ? resolve(perfDir, contender.file) : contender.runtime === "bun" ? bunPath : process.execPath;
  const args = native ? contender.args : [contender.file];
  const runs = [];
  let server;
  try {
    server = await startServer({ command, args, cwd: perfDir, env: { PORT: "0" } });
  } catch (error) {
    return workloads.map((w) => ({ workload: w.id, failure: error.message }));
  }
  for (const w of workloads) {
    try {
      runs.push({ workload: w.id, ...(await measure(server, w, opts)) });
    } catch (error) {
      runs.push({ workload: w.id, failure: error.message });
      if (!server.alive()) break;
    }
  }
  for (const w of workloads.slice(runs.length)) runs.push({ workload: w.id, failure: "the server exited during an earlier workload" });
  const stopped = await server.stop(5_000);
  if (!stopped.clean) runs[runs.length - 1].uncleanStop = stopped.signal ?? `code ${stopped.code}`;
  return runs;
}

/** Checks the answer, warms up, and measures one wrk window of one workload. */
async function measure(server, w, opts) {
  const base = `http://127.0.0.1:${server.port}`;
  const status = await checkResponse(base, w);
  const load = { url: `${base}${w.path}`, threads: opts.wrkThreads, connections: opts.connections, request: wrkRequest(w) };
  resetPeakRss(server.pid);
  if (opts.warmup > 0) await runWrk({ ...load, durationS: opts.warmup });

  const cpuBefore = cpuSnapshot(server.pid);
  const machineBefore = machineTicks();
  const wrk = await runWrk({ ...load, durationS: opts.duration });
  const cpuAfter = cpuSnapshot(server.pid);
  const machineAfter = machineTicks();
  if (!server.alive()) throw new Error("the server exited during the run");

  const cpu = cpuPerRequest(cpuBefore, cpuAfter, wrk.requests);
  const ticks = clockTicksPerSecond();
  const serverSeconds = cpu.jsSeconds + cpu.otherSeconds;
  const wrkSeconds = wrk.cpuTicks / ticks;
  // CPU charged to processes that are neither the server nor wrk (this script's share is tiny).
  const othersSeconds = (machineAfter.processes - machineBefore.processes) / ticks - serverSeconds - wrkSeconds;
  const irqTicks = machineAfter.busy - machineAfter.processes - (machineBefore.busy - machineBefore.processes);
  const { raw, cpuTicks, ...report } = wrk;
  return {
    ...report,
    status,
    errors: wrkErrors(w, wrk),
    jsUs: cpu.jsUs,
    otherUs: cpu.otherUs,
    serverCores: serverSeconds / wrk.seconds,
    wrkCores: wrkSeconds / wrk.seconds,
    othersCores: Math.max(0, othersSeconds) / wrk.seconds,
    irqCores: irqTicks / ticks / wrk.seconds,
    threads: cpuAfter.threads,
    rssMiB: peakRssKiB(server.pid) / 1024,
  };
}

function describeRun(run) {
  if (run.failure) return `FAILED: ${run.failure}`;
  const rps = Math.round(run.rps).toLocaleString("en-US").padStart(9);
  return (
    `${rps} req/s  p50 ${run.p50Ms.toFixed(2)} ms  p99 ${run.p99Ms.toFixed(2)} ms  ` +
    `JS ${run.jsUs.toFixed(2)} µs/req  other ${run.otherUs.toFixed(2)} µs/req  ` +
    `cores: server ${run.serverCores.toFixed(2)} wrk ${run.wrkCores.toFixed(2)} irq ${run.irqCores.toFixed(2)} others ${run.othersCores.toFixed(2)}  ` +
    `RSS ${run.rssMiB.toFixed(0)} MiB  errors ${run.errors}`
  );
}
