// The command-line options both load benchmarks take (bench.mjs, bench-hello.mjs).

import { parseArgs } from "node:util";
import { selectContenders } from "./contenders.mjs";

/** The usage text of the shared options, with `defaults` filled in. */
export function optionsUsage(defaults, contenders) {
  return `  --runs N          runs per contender and workload (default ${defaults.runs})
  --duration S      measured seconds per run (default ${defaults.duration})
  --warmup S        warm-up seconds before each measured run (default ${defaults.warmup}; 0 = none)
  --connections N   wrk connections (default 150)
  --wrk-threads N   wrk threads (default 1: the machine has few cores, see README)
  --only IDS        comma-separated subset of: ${contenders.map((c) => c.id).join(", ")}
  --quiet-wait S    before each server starts, wait up to S seconds for the machine to be idle (default ${defaults.quietWait}; 0 = no wait)
  --no-build        do not install or build anything; stop if something is missing
  --out FILE        where the Markdown goes (default ${defaults.outName}; "-" = stdout only)`;
}

/**
 * Parses argv. `defaults`: `{ runs, duration, warmup, quietWait, out, outName }`; `contenders`:
 * the pool `--only` picks from; `extra`: more parseArgs options, returned in `extra`.
 */
export function parseOptions({ usage, defaults, contenders, extra = {} }) {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: String(defaults.runs) },
      duration: { type: "string", default: String(defaults.duration) },
      warmup: { type: "string", default: String(defaults.warmup) },
      connections: { type: "string", default: "150" },
      "wrk-threads": { type: "string", default: "1" },
      only: { type: "string" },
      "quiet-wait": { type: "string", default: String(defaults.quietWait) },
      "no-build": { type: "boolean", default: false },
      out: { type: "string", default: defaults.out },
      help: { type: "boolean", short: "h", default: false },
      ...extra,
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const int = (name, min) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${values[name]}"`);
    return value;
  };
  return {
    runs: int("runs", 1),
    duration: int("duration", 1),
    warmup: int("warmup", 0),
    connections: int("connections", 1),
    wrkThreads: int("wrk-threads", 1),
    quietWait: int("quiet-wait", 0),
    build: !values["no-build"],
    contenders: selectContenders(values.only, contenders),
    out: values.out,
    extra: Object.fromEntries(Object.keys(extra).map((key) => [key, values[key]])),
  };
}
