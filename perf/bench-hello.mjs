#!/usr/bin/env node
// The "GET /hello" benchmark alone: Keel on Bun and on Node against Bun.serve, node:http and the
// Rust ceilings, with Keel-to-peer ratios. bench.mjs runs the same measurement on every
// contender and workload. See perf/README.md. Plain Node; Linux only (/proc).

import { writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { exitKillingChildren } from "./lib/children.mjs";
import { contender } from "./lib/contenders.mjs";
import { optionsUsage, parseOptions } from "./lib/options.mjs";
import { ratiosTable, resultsTable, summarize } from "./lib/report.mjs";
import { headerLines, runSession, saveRaw } from "./lib/session.mjs";
import { workload } from "./lib/workloads.mjs";

const PERF = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(PERF);
const CONTENDERS = ["bun-serve", "node-http", "keel-bun", "keel-node", "ceiling-ring", "ceiling-hyper"].map(contender);
const DEFAULTS = { runs: 3, duration: 5, warmup: 1, quietWait: 30, out: join(PERF, "RESULTS-hello.md"), outName: "perf/RESULTS-hello.md" };
const USAGE = `Usage: node perf/bench-hello.mjs [options]\n\n${optionsUsage(DEFAULTS, CONTENDERS)}\n  -h, --help`;

const log = (line) => process.stderr.write(`${line}\n`);

async function main() {
  const opts = parseOptions({ usage: USAGE, defaults: DEFAULTS, contenders: CONTENDERS });
  const session = await runSession({ perfDir: PERF, root: ROOT, opts, workloads: [workload("hello")], log });
  const markdown = render({ opts, ...session });
  process.stdout.write(`\n${markdown}`);
  if (opts.out !== "-") {
    writeFileSync(opts.out, markdown);
    log(`\nwrote ${relative(process.cwd(), opts.out) || opts.out}`);
  }
  saveRaw(PERF, "hello", { opts, ...session });
  if (session.runs.some((run) => run.failure)) process.exitCode = 1;
}

function render(session) {
  const { opts, runs, warnings } = session;
  const summaries = summarize(opts.contenders, runs);
  const keel = opts.contenders.filter((c) => c.keel).map((c) => c.name);
  const peers = opts.contenders.filter((c) => !c.keel).map((c) => c.name);
  const ratios = ratiosTable(summaries, keel, peers);
  const failures = runs.filter((run) => run.failure);
  return [
    "# GET /hello",
    "",
    ...headerLines(session),
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

main().catch((error) => {
  log(`bench-hello: ${error.message}`);
  void exitKillingChildren(1);
});
