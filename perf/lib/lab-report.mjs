// The Markdown of the lab (bench.mjs): one table per workload, Keel's fraction of the ceiling,
// how to read them, and what went wrong. perf/chart.mjs reads the tables back.

import { markdownTable, ratio, resultsTable, summarize } from "./report.mjs";
import { headerLines } from "./session.mjs";

/** Peers every contender is divided by, in the `× name` columns. */
export const BASELINES = ["Bun.serve", "Express"];

export function renderLab(session, workloads) {
  const { opts, runs, warnings, setupSeconds, started, finished } = session;
  const sections = [];
  const summariesOf = {};
  for (const w of workloads) {
    const contenders = opts.contenders.filter((c) => c.workloads.includes(w.id));
    if (contenders.length === 0) continue;
    const summaries = summarize(contenders, runs.filter((run) => run.workload === w.id));
    summariesOf[w.id] = summaries;
    sections.push(`## ${w.title}`, "", resultsTable(summaries, { versus: BASELINES }), "");
    if (w.expect.rejected) sections.push(`Rejected with: ${rejectionStatuses(contenders, runs, w.id)}.`, "");
  }
  const ceiling = ceilingTable(opts.contenders, summariesOf.hello ?? []);
  if (ceiling) sections.push("## Keel against the ceiling (GET /hello)", "", ceiling, "", CEILING_NOTE, "");
  const swaps = swapTable(workloads, summariesOf);
  if (swaps) sections.push("## The same app, its own server or Keel", "", swaps, "", SWAP_NOTE, "");
  const failures = runs.filter((run) => run.failure);
  const minutes = (seconds) => `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return [
    "# Keel and its peers",
    "",
    ...headerLines(session, { packages: true }),
    `- Duration: setup (install, build) ${minutes(setupSeconds)}, measuring ${minutes((finished - started) / 1000)}`,
    "",
    ...sections,
    "## How to read this",
    "",
    ...NOTES,
    ...(warnings.length ? ["", "## Warnings", "", ...warnings.map((w) => `- ${w}`)] : []),
    ...(failures.length
      ? ["", "## Failed runs", "", ...failures.map((f) => `- ${f.contender}, ${f.workload}, round ${f.round}: ${f.failure.split("\n")[0]}`)]
      : []),
    "",
  ].join("\n");
}

/** "Keel on Bun 400, Elysia 422, …", from each contender's check before the load. */
function rejectionStatuses(contenders, runs, workloadId) {
  return contenders
    .map((c) => {
      const statuses = [...new Set(runs.filter((r) => r.contender === c.name && r.workload === workloadId && r.status).map((r) => r.status))];
      return `${c.name} ${statuses.length ? statuses.join("/") : "—"}`;
    })
    .join(", ");
}

/** Each Keel contender's median req/s and CPU per request as a fraction of each ceiling's. */
function ceilingTable(contenders, summaries) {
  const byName = new Map(summaries.map((s) => [s.name, s]));
  const ceilings = contenders.filter((c) => c.ceiling && byName.get(c.name)?.runs);
  const keel = contenders.filter((c) => c.keel && byName.get(c.name)?.runs);
  if (ceilings.length === 0 || keel.length === 0) return "";
  const total = (s) => s.median.jsUs + s.median.otherUs;
  const rows = keel.map((k) => {
    const s = byName.get(k.name);
    return [k.name, ...ceilings.flatMap((c) => [ratio(s.median.rps, byName.get(c.name).median.rps), ratio(total(s), total(byName.get(c.name)))])];
  });
  const head = ["", ...ceilings.flatMap((c) => [`req/s ÷ ${c.name}`, `CPU/req ÷ ${c.name}`])];
  return markdownTable(head, rows);
}

/** Each framework app on Keel against the same app on its own server: [on Keel, on its own]. */
const SWAPS = [
  ["Hono on Keel, Bun", "Hono on Bun"],
  ["Hono on Keel, Node", "Hono on Node"],
  ["Elysia on Keel", "Elysia"],
];

/** Median req/s and CPU per request of each swapped app over its own server's, per workload. */
function swapTable(workloads, summariesOf) {
  const total = (s) => s.median.jsUs + s.median.otherUs;
  const rows = [];
  for (const [onKeel, own] of SWAPS) {
    for (const w of workloads) {
      const byName = new Map((summariesOf[w.id] ?? []).map((s) => [s.name, s]));
      const k = byName.get(onKeel);
      const o = byName.get(own);
      if (!k?.runs || !o?.runs) continue;
      rows.push([`${onKeel} ÷ ${own}`, w.title, ratio(k.median.rps, o.median.rps), ratio(k.median.jsUs, o.median.jsUs), ratio(total(k), total(o))]);
    }
  }
  return rows.length ? markdownTable(["", "workload", "req/s", "JS-thread CPU/req", "total CPU/req"], rows) : "";
}

const SWAP_NOTE =
  "The same app object (perf/servers/hono-app.mjs, elysia-app.ts) served by keel/hono or " +
  "keel/elysia instead of Bun.serve, @hono/node-server or Elysia's own server: the one-line swap " +
  "the adapters offer. req/s above 1 and CPU below 1 favour Keel.";

const CEILING_NOTE =
  "The ceilings are Rust alone on the same machine (crates/keel-runtime/examples/ceiling.rs): " +
  "\"Rust ring, no JS\" is Keel's engine and request ring drained by a Rust thread that answers " +
  "every request with the hello JSON — Keel with its JS thread's work taken away; \"Rust hyper " +
  "alone\" is the same tokio/hyper set-up answering in the service, with no ring. req/s ÷ ceiling " +
  "is Keel's fraction of it; CPU/req ÷ ceiling above 1 is what the JS side and the bridge add.";

const NOTES = [
  "- Cells are median / best of the runs; `× Bun.serve` and `× Express` divide the contender's " +
    "median req/s by that peer's in the same table.",
  "- CPU per request is the server's utime+stime over the measured window (from /proc, per " +
    "thread) divided by the requests wrk completed. The JS thread is the process's main thread; " +
    "other threads are everything else in the server process (Keel's Rust I/O threads; GC and " +
    "libuv helpers for the peers). Server cores = the server's CPU seconds / window seconds.",
  "- wrk runs on the same 2 cores: req/s is what a server achieves with about one core to itself " +
    "plus what wrk leaves; CPU per request is the fairer comparison of cost.",
  "- Peak RSS is the server's VmHWM over the workload's warm-up and window (reset before each " +
    "workload; the server has already served the workloads before it in that round).",
  "- Errors: socket errors plus answers of the wrong class (non-2xx where the request is valid, " +
    "2xx/3xx in the invalid flood), summed over the runs. A correct server shows 0.",
  "- A disturbed run is one during which other processes used the machine (see Warnings); when a " +
    "contender has undisturbed runs, its cells come from those alone. perf/README.md says how " +
    "every number is made.",
];
