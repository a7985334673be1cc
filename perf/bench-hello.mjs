#!/usr/bin/env node
// The "GET /hello" benchmark: Keel on Bun and on Node against Bun.serve and node:http.
// Each run starts one server (perf/servers/), checks its answer, warms it up, loads it with wrk
// and reads its CPU time and memory from /proc. Contenders are interleaved run by run.
// See perf/README.md. Plain Node, no dependencies; Linux only (/proc).

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { findBun } from "./lib/bun.mjs";
import { checkJsonResponse } from "./lib/check-response.mjs";
import { exitKillingChildren } from "./lib/children.mjs";
import { checkKeelBuild } from "./lib/keel-build.mjs";
import { gitCommit, machineInfo, machineTicks, waitForQuiet } from "./lib/machine.mjs";
import { clockTicksPerSecond, cpuPerRequest, cpuSnapshot, peakRssKiB } from "./lib/proc-cpu.mjs";
import { ratiosTable, resultsTable, summarize } from "./lib/report.mjs";
import { startServer } from "./lib/spawn-server.mjs";
import { ensureWrk, runWrk } from "./lib/wrk.mjs";

const PERF = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(PERF);
const EXPECTED = { message: "Hello, World!" };
/** Busier than this (in cores), the machine is not idle: wait before a run, flag a disturbed one. */
const QUIET_CORES = 0.15;
const CEILING = join(ROOT, "target/release/examples/ceiling");

const CONTENDERS = [
  { id: "bun-serve", name: "Bun.serve", runtime: "bun", file: "servers/bun-serve.ts", keel: null },
  { id: "node-http", name: "node:http", runtime: "node", file: "servers/node-http.mjs", keel: null },
  { id: "keel-bun", name: "Keel on Bun", runtime: "bun", file: "servers/keel-bun.ts", keel: ["library", "bunEntry"] },
  { id: "keel-node", name: "Keel on Node", runtime: "node", file: "servers/keel-node.mjs", keel: ["library", "dist"] },
  // The physical ceiling (crates/keel-runtime/examples/ceiling.rs): Keel's engine and ring with a
  // Rust consumer instead of JS, and bare hyper with no ring. Peers, so that the ratio table
  // shows Keel's fraction of them.
  { id: "ceiling-ring", name: "Rust ring, no JS", runtime: "native", file: CEILING, args: ["ring", "0"], keel: null, needs: ["ceiling"] },
  { id: "ceiling-hyper", name: "Rust hyper alone", runtime: "native", file: CEILING, args: ["hyper", "0"], keel: null, needs: ["ceiling"] },
];

const USAGE = `Usage: node perf/bench-hello.mjs [options]

  --runs N          runs per contender (default 3)
  --duration S      measured seconds per run (default 5)
  --warmup S        warm-up seconds before each measured run (default 1; 0 = none)
  --connections N   wrk connections (default 150)
  --wrk-threads N   wrk threads (default 1: the machine has few cores, see README)
  --only IDS        comma-separated subset of: ${CONTENDERS.map((c) => c.id).join(", ")}
  --quiet-wait S    before each run, wait up to S seconds for the machine to be idle (default 30; 0 = no wait)
  --out FILE        where the Markdown goes (default perf/RESULTS-hello.md; "-" = stdout only)
  -h, --help`;

function options() {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "3" },
      duration: { type: "string", default: "5" },
      warmup: { type: "string", default: "1" },
      connections: { type: "string", default: "150" },
      "wrk-threads": { type: "string", default: "1" },
      only: { type: "string" },
      "quiet-wait": { type: "string", default: "30" },
      out: { type: "string", default: join(PERF, "RESULTS-hello.md") },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name, min) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${values[name]}"`);
    return value;
  };
  let contenders = CONTENDERS;
  if (values.only !== undefined) {
    const ids = values.only.split(",").map((id) => id.trim()).filter(Boolean);
    const unknown = ids.filter((id) => !CONTENDERS.some((c) => c.id === id));
    if (unknown.length > 0 || ids.length === 0) throw new Error(`--only: unknown contender "${unknown.join(", ")}"\n\n${USAGE}`);
    contenders = CONTENDERS.filter((c) => ids.includes(c.id));
  }
  return {
    runs: int("runs", 1),
    duration: int("duration", 1),
    warmup: int("warmup", 0),
    connections: int("connections", 1),
    wrkThreads: int("wrk-threads", 1),
    quietWait: int("quiet-wait", 0),
    contenders,
    out: values.out,
  };
}

const log = (line) => process.stderr.write(`${line}\n`);

async function main() {
  const opts = options();
  if (process.platform !== "linux") throw new Error("This benchmark reads /proc: it runs on Linux only.");

  // Setup: tools and builds first, so that nothing fails half-way through.
  const wrkVersion = ensureWrk({ log });
  const bun = opts.contenders.some((c) => c.runtime === "bun") ? findBun(PERF, { log }) : null;
  const keelNeeds = [...new Set(opts.contenders.flatMap((c) => [...(c.keel ?? []), ...(c.needs ?? [])]))];
  const warnings = keelNeeds.length > 0 ? checkKeelBuild(ROOT, keelNeeds) : [];
  clockTicksPerSecond();
  for (const warning of warnings) log(`warning: ${warning}`);

  const started = new Date();
  const runs = [];
  for (let round = 0; round < opts.runs; round++) {
    for (const contender of opts.contenders) {
      const loadBefore = opts.quietWait > 0 ? await waitForQuiet({ maxCores: QUIET_CORES, timeoutMs: opts.quietWait * 1000 }) : NaN;
      const run = await measure(contender, opts, bun?.path);
      run.round = round + 1;
      run.loadBefore = loadBefore;
      runs.push(run);
      log(`run ${round + 1}/${opts.runs}  ${contender.name.padEnd(13)} ${describeRun(run)}`);
      if (loadBefore > QUIET_CORES) {
        warnings.push(`${contender.name}, run ${round + 1}: the machine was still busy (${loadBefore.toFixed(2)} cores) after waiting ${opts.quietWait} s.`);
      }
      if (run.uncleanStop) warnings.push(`${contender.name}, run ${round + 1}: did not exit by itself on SIGTERM (${run.uncleanStop}).`);
      run.disturbed = run.othersCores > QUIET_CORES || loadBefore > QUIET_CORES;
      if (run.othersCores > QUIET_CORES) {
        warnings.push(`${contender.name}, run ${round + 1}: other processes used ${run.othersCores.toFixed(2)} cores during the window (disturbed).`);
      }
    }
  }

  const machine = machineInfo();
  const versions = {
    bun: bun?.version ?? "not used",
    node: process.version,
    wrk: wrkVersion,
    keel: gitCommit(ROOT, ["crates", "bindings", "Cargo.toml", "Cargo.lock"]),
  };
  const markdown = renderResults({ opts, started, machine, versions, runs, warnings });
  process.stdout.write(`\n${markdown}`);
  if (opts.out !== "-") {
    writeFileSync(opts.out, markdown);
    log(`\nwrote ${relative(process.cwd(), opts.out) || opts.out}`);
  }
  saveRaw({ opts, started, machine, versions, runs, warnings });
  if (runs.some((run) => run.failure)) process.exitCode = 1;
}

/** One run of one contender: a fresh server, measured, then stopped. */
async function measure(contender, opts, bunPath) {
  const native = contender.runtime === "native";
  const command = native ? contender.file : contender.runtime === "bun" ? bunPath : process.execPath;
  const args = native ? contender.args : [contender.file];
  let server;
  let run;
  try {
    server = await startServer({ command, args, cwd: PERF, env: { PORT: "0" } });
    run = await loadServer(server, opts);
  } catch (error) {
    run = { failure: error.message };
  }
  if (server) {
    const stopped = await server.stop(5_000);
    if (!stopped.clean) run.uncleanStop = stopped.signal ?? `code ${stopped.code}`;
  }
  return { contender: contender.name, ...run };
}

/** Checks the answer, warms up, and measures one wrk window against a running server. */
async function loadServer(server, opts) {
  const url = `http://127.0.0.1:${server.port}/hello`;
  await checkJsonResponse(url, EXPECTED);
  const load = { url, threads: opts.wrkThreads, connections: opts.connections };
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

function renderResults({ opts, started, machine, versions, runs, warnings }) {
  const summaries = summarize(opts.contenders, runs);
  const keel = opts.contenders.filter((c) => c.keel).map((c) => c.name);
  const peers = opts.contenders.filter((c) => !c.keel).map((c) => c.name);
  const ratios = ratiosTable(summaries, keel, peers);
  const failures = runs.filter((run) => run.failure);
  return [
    "# GET /hello",
    "",
    `- Date: ${started.toISOString().replace(/\.\d+Z$/, "Z")}`,
    `- Machine: ${machine.cores} cores, ${machine.cpuModel}, ${machine.memoryGiB} GiB, Linux ${machine.kernel}`,
    `- Versions: bun ${versions.bun}, node ${versions.node}, ${versions.wrk}, keel ${versions.keel}`,
    `- Load: \`wrk -t${opts.wrkThreads} -c${opts.connections} -d${opts.duration}s --latency\` on 127.0.0.1, ` +
      `${opts.warmup} s warm-up, ${opts.runs} run(s) per contender, interleaved; a fresh server per run`,
    "",
    resultsTable(summaries),
    "",
    "Cells are median / best of the runs. CPU per request is the server's utime+stime over the " +
      "measured window divided by the requests wrk completed; the JS thread is the process's main " +
      "thread. Server cores = the server's CPU seconds / window seconds (wrk runs on the same cores). " +
      "Errors = socket errors + non-2xx/3xx responses, summed over the runs. A disturbed run is one " +
      "during which other processes were busy (see Warnings); when a contender has undisturbed " +
      "runs, its cells come from those alone.",
    ...(ratios ? ["", "Keel relative to the peers (medians; req/s above 1 and CPU or p99 below 1 favour Keel):", "", ratios] : []),
    ...(warnings.length ? ["", "Warnings:", "", ...warnings.map((w) => `- ${w}`)] : []),
    ...(failures.length ? ["", "Failed runs:", "", ...failures.map((f) => `- ${f.contender}, run ${f.round}: ${f.failure.split("\n")[0]}`)] : []),
    "",
  ].join("\n");
}

/** Every run's numbers as JSON in perf/.results/ (not committed), for a closer look later. */
function saveRaw(results) {
  const dir = join(PERF, ".results");
  mkdirSync(dir, { recursive: true });
  const stamp = results.started.toISOString().replace(/[:.]/g, "-");
  writeFileSync(join(dir, `hello-${stamp}.json`), `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((error) => {
  log(`bench-hello: ${error.message}`);
  void exitKillingChildren(1);
});
