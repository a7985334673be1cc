#!/usr/bin/env node
// Instructions per request in Keel's Rust hot paths, counted by valgrind's callgrind: the lean
// engine's I/O thread (and the ring's consumer) under a bounded wrk load on the no-JS ceiling,
// and the typed decoder on the /schema request. Unlike time, an instruction count is the same
// from run to run on a busy or quiet machine, so a change to these paths can be judged on a
// shared 2-core VM. It counts user-space instructions only: the kernel's socket work, most of
// the I/O thread's time, is not in it. See perf/README.md. Plain Node; Linux only.

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { aptInstall } from "./lib/apt.mjs";
import { exitKillingChildren, track } from "./lib/children.mjs";
import { keelArtifacts } from "./lib/keel-build.mjs";
import { buildKeel } from "./lib/setup.mjs";
import { ensureWrk } from "./lib/wrk.mjs";
import { workload } from "./lib/workloads.mjs";

const PERF = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(PERF);
const OUT = join(PERF, "RESULTS-instructions.md");
/** Requests are counted by wrk over this many seconds (slowed ~50× by valgrind: ~50k requests). */
const LOAD_SECONDS = 5;
/** Decoder calls per count; the difference from a run with none is divided by this. */
const DECODER_CALLS = 2000;

const log = (line) => process.stderr.write(`${line}\n`);

async function main() {
  if (process.argv.includes("-h") || process.argv.includes("--help")) {
    console.log("Usage: node perf/bench-instructions.mjs [--no-build]\n\nWrites perf/RESULTS-instructions.md.");
    return;
  }
  ensureWrk({ log });
  ensureValgrind();
  if (!process.argv.includes("--no-build")) buildKeel(ROOT, ["ceiling"], { log });
  const decoderBench = buildDecoderBench();
  const rows = [];
  for (const id of ["hello", "schema"]) {
    const counted = await countCeiling(workload(id));
    rows.push([`${workload(id).title}: the I/O thread (parse, route, envelope, publish; answer, write)`, counted.io, counted.requests]);
    rows.push([`${workload(id).title}: the ring's consumer (poll, read, commit; the ceiling's own answer)`, counted.consumer, counted.requests]);
  }
  for (const [title, caseName] of [
    ["decode + validate, valid /schema request", "valid /schema"],
    ["decode + validate, valid, each union matched by its second variant", "second variant"],
    ["decode + validate, invalid /schema request (and its 400 body)", "invalid request"],
  ]) {
    rows.push([title, countDecoder(decoderBench, caseName), DECODER_CALLS]);
  }
  const markdown = render(rows);
  process.stdout.write(`\n${markdown}`);
  writeFileSync(OUT, markdown);
  log(`\nwrote ${relative(process.cwd(), OUT)}`);
}

function ensureValgrind() {
  if (spawnSync("valgrind", ["--version"], { stdio: "ignore" }).error === undefined) return;
  aptInstall("valgrind", "valgrind is not installed. On Debian/Ubuntu: `sudo apt-get install -y valgrind`.", { log });
}

/** Builds the decode_schema bench and returns its executable's path (from cargo's JSON output). */
function buildDecoderBench() {
  log("build: cargo bench -p keel-core --bench decode_schema --no-run …");
  const built = spawnSync("cargo", ["bench", "-p", "keel-core", "--bench", "decode_schema", "--no-run", "--message-format=json"], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
    timeout: 1_200_000,
  });
  if (built.status !== 0) throw new Error("building the decode_schema bench failed");
  for (const line of built.stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const message = JSON.parse(line);
    if (message.reason === "compiler-artifact" && message.target?.name === "decode_schema" && message.executable) return message.executable;
  }
  throw new Error("cargo did not name the decode_schema bench's executable");
}

/**
 * Runs the ceiling (`ring`: Keel's engine and ring, a Rust consumer) under callgrind, one thread
 * per output file, loads it with wrk for LOAD_SECONDS, stops it, and divides each thread's
 * instructions by the requests wrk completed. The consumer is the main thread (file -01); the
 * I/O thread is the busiest of the others.
 */
async function countCeiling(load) {
  const dir = mkdtempSync(join(tmpdir(), "keel-callgrind-"));
  try {
    const ceiling = keelArtifacts(ROOT).ceiling.path;
    const server = track(
      spawn("valgrind", ["--tool=callgrind", "--separate-threads=yes", `--callgrind-out-file=${join(dir, "out")}`, ceiling, "ring", "0"], {
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    const port = await readyPort(server);
    const url = `http://127.0.0.1:${port}${load.path}`;
    const args = ["-t1", "-c20", `-d${LOAD_SECONDS}s`, ...(load.method === "GET" ? [] : ["-s", join(PERF, "wrk/request.lua")]), url];
    const env = { ...process.env, WRK_METHOD: load.method, WRK_BODY: load.body ?? "", WRK_HEADERS: Object.entries(load.headers ?? {}).map(([k, v]) => `${k}: ${v}`).join("\n") };
    const wrk = spawnSync("wrk", args, { encoding: "utf8", env, timeout: (LOAD_SECONDS + 30) * 1000 });
    const requests = Number(/(\d+) requests in/.exec(wrk.stdout ?? "")?.[1]);
    if (!(requests > 0)) throw new Error(`wrk completed no requests against the ceiling: ${wrk.stdout ?? ""}${wrk.stderr ?? ""}`);
    await stop(server);
    const totals = readdirSync(dir)
      .filter((name) => /^out-\d+$/.test(name))
      .sort()
      .map((name) => Number(/^summary: (\d+)$/m.exec(readFileSync(join(dir, name), "utf8"))?.[1] ?? 0));
    const [consumer, ...others] = totals;
    log(`${load.title}: ${requests} requests`);
    return { requests, consumer: consumer / requests, io: Math.max(...others) / requests };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Instructions per call of one decode_schema case: (count with N calls − count with none) / N. */
function countDecoder(bench, caseName) {
  const count = (calls) => {
    const dir = mkdtempSync(join(tmpdir(), "keel-callgrind-"));
    try {
      const out = join(dir, "out");
      const run = spawnSync("valgrind", ["--tool=callgrind", `--callgrind-out-file=${out}`, bench, "--bench", caseName, "--calls", String(calls)], {
        stdio: "ignore",
        timeout: 600_000,
      });
      if (run.status !== 0) throw new Error(`the decoder bench failed under valgrind (${caseName})`);
      return Number(/^summary: (\d+)$/m.exec(readFileSync(out, "utf8"))?.[1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  return (count(DECODER_CALLS) - count(0)) / DECODER_CALLS;
}

function readyPort(child) {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`the ceiling did not print "ready" under valgrind: ${seen}`)), 60_000);
    child.stdout.on("data", (chunk) => {
      seen += chunk;
      const match = /ready (\d+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once("exit", (code) => reject(new Error(`the ceiling exited (${code}) before it was ready: ${seen}`)));
  });
}

/** SIGTERM (the ceiling exits on it, and callgrind writes its counts then); SIGKILL after 30 s. */
function stop(child) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

function render(rows) {
  const git = spawnSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: ROOT, encoding: "utf8" }).stdout.trim();
  const dirty = spawnSync("git", ["status", "--porcelain", "--", "crates"], { cwd: ROOT, encoding: "utf8" }).stdout.trim() ? "+dirty" : "";
  const valgrind = spawnSync("valgrind", ["--version"], { encoding: "utf8" }).stdout.trim();
  const lines = [
    "# Instructions per request",
    "",
    `- Date: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}`,
    `- Versions: keel ${git}${dirty}, ${valgrind} (callgrind), ${process.arch}`,
    `- Load: \`wrk -t1 -c20 -d${LOAD_SECONDS}s\` on the ceiling (\`ceiling ring\`) under callgrind; decoder: ${DECODER_CALLS} calls`,
    "",
    "User-space instructions only (the kernel's socket work is not counted). The same binary and",
    "load give the same counts within ~0.1%, whatever else the machine runs: compare these",
    "between commits. perf/README.md says how they are made.",
    "",
    "| path | instructions per request | requests counted |",
    "| --- | ---: | ---: |",
    ...rows.map(([title, perRequest, requests]) => `| ${title} | ${Math.round(perRequest).toLocaleString("en-US")} | ${requests.toLocaleString("en-US")} |`),
    "",
  ];
  return lines.join("\n");
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  exitKillingChildren(1);
});
