// One runtime's micro-benchmarks (run by perf/bench-micro.mjs under Bun and under Node). mitata's
// report goes to stderr; stdout gets one JSON line: `{ runtime, cpu, rows: [{ group, name, avg,
// p50, p99 }] }`, times in nanoseconds.

import { run } from "mitata";
import { registerCases } from "./cases.mjs";
import { captureFrames } from "./frames.mjs";
import { loadKeel, runtimeName } from "./keel-modules.mjs";

const keel = await loadKeel();
const native = keel.loadNative();
const { runtime, frames } = await captureFrames(keel, native);
await registerCases({ keel, runtime, frames });

const result = await run({ colors: false, print: (line) => process.stderr.write(`${line}\n`) });
const groups = result.layout.map((g) => g.name);
const rows = result.benchmarks.map((b) => {
  const { stats, error } = b.runs[0];
  if (!stats) throw new Error(`micro-benchmark "${b.alias}" failed: ${error?.message ?? "no result"}`);
  return { group: groups[b.group] ?? "", name: b.alias, avg: stats.avg, p50: stats.p50, p99: stats.p99 };
});
process.stdout.write(`${JSON.stringify({ runtime: runtimeName, cpu: result.context.cpu.name, rows })}\n`);
process.exit(0); // the runtime and its two unanswered clients go with the process
