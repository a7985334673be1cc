#!/usr/bin/env node
// The micro-benchmarks: `npm run bench:micro`. Runs micro/run.mjs (mitata) under Bun and under
// Node, one after the other, then the Rust decoder's bench (crates/keel-core/benches/
// decode_schema.rs), and writes the numbers to perf/RESULTS-micro.md. See perf/README.md
// ("Micro-benchmarks"). Plain Node.

import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { findBun } from "./lib/bun.mjs";
import { exitKillingChildren, track } from "./lib/children.mjs";
import { gitCommit, machineInfo } from "./lib/machine.mjs";
import { markdownTable } from "./lib/report.mjs";
import { buildKeel, installPerfPackages } from "./lib/setup.mjs";
import { BATCH } from "./micro/cases.mjs";

const PERF = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(PERF);
const log = (line) => process.stderr.write(`${line}\n`);

async function main() {
  const { values } = parseArgs({
    options: {
      "no-build": { type: "boolean", default: false },
      "no-rust": { type: "boolean", default: false },
      out: { type: "string", default: join(PERF, "RESULTS-micro.md") },
    },
  });
  if (!values["no-build"]) {
    installPerfPackages(PERF, { log });
    buildKeel(ROOT, ["library", "dist", "schemaApp"], { log });
  }
  const bun = findBun(PERF);
  const started = new Date();
  const results = [];
  for (const [command, label] of [[bun.path, "Bun"], [process.execPath, "Node"]]) {
    log(`\n## ${label}\n`);
    results.push(await runOne(command));
  }
  const rust = values["no-rust"] ? null : rustBench();
  const markdown = render({ started, machine: machineInfo(), keel: gitCommit(ROOT, ["crates", "bindings", "examples/schema"]), results, rust });
  process.stdout.write(`\n${markdown}`);
  if (values.out !== "-") {
    writeFileSync(values.out, markdown);
    log(`\nwrote ${relative(process.cwd(), values.out)}`);
  }
}

/** Runs micro/run.mjs under `command` (mitata's report passes through on stderr); resolves with its JSON line. */
function runOne(command) {
  const child = track(spawn(command, [join(PERF, "micro/run.mjs")], { cwd: PERF, stdio: ["ignore", "pipe", "inherit"] }));
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => (out += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split("\n").pop();
      if (code !== 0 || !line) return reject(new Error(`${command} micro/run.mjs failed (${signal ?? `code ${code}`})`));
      resolve(JSON.parse(line));
    });
  });
}

/** Runs the Rust decoder bench; returns its rows `[case, median ns, fastest ns]`. */
function rustBench() {
  log("\n## Rust: cargo bench -p keel-core --bench decode_schema\n");
  const run = spawnSync("cargo", ["bench", "-p", "keel-core", "--bench", "decode_schema"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 900_000 });
  if (run.status !== 0) throw new Error(`cargo bench -p keel-core --bench decode_schema failed (${run.error?.message ?? `exit code ${run.status}`})`);
  log(run.stdout.trimEnd());
  const rows = run.stdout.split("\n").slice(1).map((line) => /^(.*?)\s+([\d.]+)\s+([\d.]+)$/.exec(line)).filter(Boolean);
  return rows.map(([, name, median, fastest]) => [name, `${median} ns`, `${fastest} ns`]);
}

/** "12.3 ns", "4.56 µs"; with `perItem`, also the time per item. */
function time(ns, perItem) {
  if (!Number.isFinite(ns)) return "—";
  const text = ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(1)} ns`;
  return perItem ? `${text} (${(ns / perItem).toFixed(1)} ns each)` : text;
}

function render({ started, machine, keel, results, rust }) {
  const groups = [...new Set(results.flatMap((r) => r.rows.map((row) => row.group)))];
  const sections = groups.flatMap((group) => {
    const names = [...new Set(results.flatMap((r) => r.rows.filter((row) => row.group === group).map((row) => row.name)))];
    const perItem = group.startsWith("drain") || group.startsWith("a request through") ? BATCH : undefined;
    const rows = names.map((name) => [
      name,
      ...results.flatMap((r) => {
        const row = r.rows.find((x) => x.group === group && x.name === name);
        return [time(row?.p50, perItem), time(row?.avg)];
      }),
    ]);
    const head = ["case", ...results.flatMap((r) => [`${r.runtime} p50`, `${r.runtime} avg`])];
    return [`## ${group}`, "", markdownTable(head, rows), ""];
  });
  return [
    "# Micro-benchmarks",
    "",
    `- Date: ${started.toISOString().replace(/\.\d+Z$/, "Z")}`,
    `- Machine: ${machine.cores} cores, ${machine.cpuModel}, ${machine.memoryGiB} GiB, Linux ${machine.kernel}`,
    `- Versions: ${results.map((r) => r.runtime).join(", ")}, keel ${keel}; mitata's defaults, one process per runtime`,
    "",
    "Times per iteration: p50 (the median sample) and avg (mitata's mean, which includes GC pauses).",
    "perf/README.md says what each case includes.",
    "",
    ...sections,
    ...(rust
      ? [
          "## Rust: decoding and validating the /schema request (cargo bench -p keel-core --bench decode_schema)",
          "",
          markdownTable(["case", "median", "fastest"], rust),
          "",
          "Per request, on one thread, 15 samples of ~40 ms after 0.3 s of warm-up. This work runs on the",
          "Rust I/O threads, not on the JS thread.",
          "",
        ]
      : []),
  ].join("\n");
}

main().catch((error) => {
  log(`bench-micro: ${error.message}`);
  void exitKillingChildren(1);
});
