// Turns benchmark runs into the Markdown results: one row per contender (median / best of its
// runs) and the ratios of the Keel contenders to the peers.

/** Median of numbers (NaN when empty). */
export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const best = (values, higherIsBetter) => {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return NaN;
  return higherIsBetter ? Math.max(...finite) : Math.min(...finite);
};

/** The metrics of the table, each with how to read it from a run and which way is better. */
const METRICS = [
  { key: "rps", title: "req/s", higher: true, format: (v) => Math.round(v).toLocaleString("en-US") },
  { key: "p50Ms", title: "p50 ms", format: (v) => v.toFixed(2) },
  { key: "p99Ms", title: "p99 ms", format: (v) => v.toFixed(2) },
  { key: "jsUs", title: "JS thread µs/req", format: (v) => v.toFixed(2) },
  { key: "otherUs", title: "other threads µs/req", format: (v) => v.toFixed(2) },
  { key: "serverCores", title: "server cores", format: (v) => v.toFixed(2) },
  { key: "rssMiB", title: "peak RSS MiB", format: (v) => v.toFixed(0) },
];

/**
 * Per contender: `{ name, runs, failed, disturbed, used, errors, median: {…}, best: {…} }`.
 * Medians and bests come from the undisturbed runs when there is at least one (`used` says how
 * many runs they come from), else from all. Errors are summed over every completed run.
 */
export function summarize(contenders, runs) {
  return contenders.map(({ name }) => {
    const mine = runs.filter((run) => run.contender === name);
    const ok = mine.filter((run) => !run.failure);
    const clean = ok.filter((run) => !run.disturbed);
    const used = clean.length > 0 ? clean : ok;
    const summary = {
      name,
      runs: ok.length,
      failed: mine.length - ok.length,
      disturbed: ok.length - clean.length,
      used: used.length,
      errors: ok.reduce((sum, run) => sum + run.errors, 0),
      median: {},
      best: {},
    };
    for (const { key, higher } of METRICS) {
      const values = used.map((run) => run[key]);
      summary.median[key] = median(values);
      summary.best[key] = best(values, higher === true);
    }
    return summary;
  });
}

/** "3", "3, 1 disturbed (left out)", "2, 2 disturbed, +1 failed"… */
function runsCell(s) {
  const parts = [String(s.runs)];
  if (s.disturbed) parts.push(s.used < s.runs ? `${s.disturbed} disturbed (left out)` : `${s.disturbed} disturbed`);
  if (s.failed) parts.push(`+${s.failed} failed`);
  return parts.join(", ");
}

/**
 * The results table: each cell is "median / best". For each name in `versus`, a column after
 * req/s gives the contender's median req/s divided by that peer's ("—" when it has no runs).
 */
export function resultsTable(summaries, { versus = [] } = {}) {
  const byName = new Map(summaries.map((s) => [s.name, s]));
  const head = ["contender", "runs"];
  for (const m of METRICS) {
    head.push(m.title);
    if (m.key === "rps") head.push(...versus.map((name) => `× ${name}`));
  }
  head.push("errors");
  const rows = summaries.map((s) => {
    const row = [s.name, runsCell(s)];
    for (const { key, format } of METRICS) {
      row.push(s.runs ? `${format(s.median[key])} / ${format(s.best[key])}` : "—");
      if (key === "rps") row.push(...versus.map((name) => (s.runs ? ratio(s.median.rps, byName.get(name)?.median.rps) : "—")));
    }
    row.push(s.runs ? String(s.errors) : "—");
    return row;
  });
  return markdownTable(head, rows);
}

/**
 * Ratios of each Keel contender to each peer, from the medians: throughput (above 1 = Keel
 * faster), p99 and total CPU per request (below 1 = Keel better).
 */
export function ratiosTable(summaries, keelNames, peerNames) {
  const byName = new Map(summaries.map((s) => [s.name, s]));
  const rows = [];
  for (const keel of keelNames) {
    for (const peer of peerNames) {
      const k = byName.get(keel);
      const p = byName.get(peer);
      if (!k?.runs || !p?.runs) continue;
      const cpu = (s) => s.median.jsUs + s.median.otherUs;
      rows.push([
        `${keel} vs ${peer}`,
        ratio(k.median.rps, p.median.rps),
        ratio(k.median.p99Ms, p.median.p99Ms),
        ratio(k.median.jsUs, p.median.jsUs),
        ratio(cpu(k), cpu(p)),
      ]);
    }
  }
  if (rows.length === 0) return "";
  return markdownTable(["", "req/s", "p99", "JS-thread CPU/req", "total CPU/req"], rows);
}

/** `a / b` as "0.68×", or "—" when either is missing. */
export function ratio(a, b) {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : "—";
}

export function markdownTable(head, rows) {
  const line = (cells) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map((_, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}
