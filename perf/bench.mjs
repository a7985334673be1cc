#!/usr/bin/env node
// The lab: `npm run bench`. Installs the peers and the load generator, builds Keel, then measures
// Keel and its peers on the Encore.ts benchmark's workloads (GET /hello, POST /schema) and an
// invalid-request flood, interleaved, in one session; writes perf/RESULTS.md and the chart.
// See perf/README.md. Plain Node; Linux only (/proc).

import { writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { writeChart } from "./chart.mjs";
import { exitKillingChildren } from "./lib/children.mjs";
import { CONTENDERS } from "./lib/contenders.mjs";
import { renderLab } from "./lib/lab-report.mjs";
import { optionsUsage, parseOptions } from "./lib/options.mjs";
import { saveRaw, runSession } from "./lib/session.mjs";
import { WORKLOADS } from "./lib/workloads.mjs";

const PERF = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(PERF);
const DEFAULTS = { runs: 3, duration: 3, warmup: 1, quietWait: 5, out: join(PERF, "RESULTS.md"), outName: "perf/RESULTS.md" };
const USAGE = `Usage: node perf/bench.mjs [options]

${optionsUsage(DEFAULTS, CONTENDERS)}
  --workloads IDS   comma-separated subset of: ${WORKLOADS.map((w) => w.id).join(", ")}
  -h, --help

With --out other than perf/RESULTS.md (or "-"), the chart is not redrawn.`;

const log = (line) => process.stderr.write(`${line}\n`);

async function main() {
  const opts = parseOptions({ usage: USAGE, defaults: DEFAULTS, contenders: CONTENDERS, extra: { workloads: { type: "string" } } });
  const workloads = pickWorkloads(opts.extra.workloads);
  const session = await runSession({ perfDir: PERF, root: ROOT, opts, workloads, log });
  const markdown = renderLab({ opts, ...session }, workloads);
  process.stdout.write(`\n${markdown}`);
  if (opts.out !== "-") {
    writeFileSync(opts.out, markdown);
    log(`\nwrote ${relative(process.cwd(), opts.out) || opts.out}`);
    if (opts.out === DEFAULTS.out) log(`wrote ${relative(process.cwd(), writeChart(markdown, PERF))}`);
  }
  saveRaw(PERF, "lab", { opts, ...session });
  if (session.runs.some((run) => run.failure)) process.exitCode = 1;
}

function pickWorkloads(list) {
  if (list === undefined) return WORKLOADS;
  const ids = list.split(",").map((id) => id.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !WORKLOADS.some((w) => w.id === id));
  if (unknown.length > 0 || ids.length === 0) throw new Error(`--workloads: unknown workload "${unknown.join(", ")}"\n\n${USAGE}`);
  return WORKLOADS.filter((w) => ids.includes(w.id));
}

main().catch((error) => {
  log(`bench: ${error.message}`);
  void exitKillingChildren(1);
});
