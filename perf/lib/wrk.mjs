// The load generator: finds (or, as root on Debian, installs) wrk, runs it, parses its report.

import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { aptInstall } from "./apt.mjs";
import { track } from "./children.mjs";
import { processTicks } from "./proc-cpu.mjs";

/** Makes sure wrk is on PATH and returns its version line. Throws with instructions otherwise. */
export function ensureWrk({ log = console.error } = {}) {
  if (!hasWrk()) {
    aptInstall(
      "wrk",
      "wrk (the HTTP load generator) is not installed. On Debian/Ubuntu: `sudo apt-get install -y wrk`; " +
        "on macOS: `brew install wrk`; or build it from https://github.com/wg/wrk.",
      { log },
    );
  }
  return wrkVersion();
}

function hasWrk() {
  return spawnSync("wrk", ["--version"], { stdio: "ignore", timeout: 5_000 }).error === undefined;
}

function wrkVersion() {
  // `wrk --version` prints its banner and the usage, then exits with status 1.
  const run = spawnSync("wrk", ["--version"], { encoding: "utf8", timeout: 5_000 });
  return (run.stdout || run.stderr || "").split("\n")[0].replace(/\s+Copyright.*$/, "").trim();
}

/** How often wrk's own CPU time is sampled (its /proc entry is gone once it exits). */
const CPU_SAMPLE_MS = 100;

/** wrk's script for requests other than a plain GET (method, body and headers from `env`). */
const REQUEST_SCRIPT = fileURLToPath(new URL("../wrk/request.lua", import.meta.url));

/**
 * Runs `wrk --latency` against `url` and resolves with the parsed report:
 * `{ requests, seconds, rps, p50Ms, p75Ms, p90Ms, p99Ms, non2xx, socketErrors, errors, raw }`
 * plus `cpuTicks`, wrk's own CPU time (sampled, so short by at most its last 100 ms).
 * `non2xx` is wrk's "Non-2xx or 3xx responses" count. Killed if it overruns by `slackMs`.
 * Without `request`, wrk sends `GET url`; with `request = { method, headers, body }` it sends
 * that through perf/wrk/request.lua.
 */
export function runWrk({ url, threads, connections, durationS, request, slackMs = 15_000 }) {
  const args = [`-t${threads}`, `-c${connections}`, `-d${durationS}s`, "--latency"];
  let env = process.env;
  if (request) {
    args.push("-s", REQUEST_SCRIPT);
    const headers = Object.entries(request.headers ?? {}).map(([name, value]) => `${name}: ${value}`);
    env = { ...env, WRK_METHOD: request.method, WRK_HEADERS: headers.join("\n") };
    if (request.body !== undefined) env.WRK_BODY = request.body;
  }
  args.push(url);
  const child = track(spawn("wrk", args, { env, stdio: ["ignore", "pipe", "pipe"] }));
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk) => (out += chunk));
  let cpuTicks = 0;
  const sampler = setInterval(() => (cpuTicks = processTicks(child.pid) ?? cpuTicks), CPU_SAMPLE_MS);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), durationS * 1000 + slackMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      clearInterval(sampler);
      reject(error);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      clearInterval(sampler);
      if (code !== 0) return reject(new Error(`wrk ${args.join(" ")} failed (${signal ?? `code ${code}`}):\n${out}`));
      try {
        resolve({ ...parseWrk(out), cpuTicks });
      } catch (error) {
        reject(error);
      }
    });
  });
}

const UNIT_MS = { us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

/** Parses wrk's text report (with --latency). Throws when a required line is missing. */
export function parseWrk(raw) {
  const need = (regex, what) => {
    const match = regex.exec(raw);
    if (!match) throw new Error(`wrk's report has no ${what}:\n${raw}`);
    return match;
  };
  const percentile = (p) => {
    const [, value, unit] = need(new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, "m"), `${p}% latency`);
    return Number(value) * UNIT_MS[unit];
  };
  const [, requests, seconds, secondsUnit] = need(/^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),/m, "request count");
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(raw);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(raw)?.[1] ?? 0);
  return {
    requests: Number(requests),
    seconds: (Number(seconds) * UNIT_MS[secondsUnit]) / 1000,
    rps: Number(need(/^Requests\/sec:\s+([\d.]+)/m, "Requests/sec")[1]),
    p50Ms: percentile(50),
    p75Ms: percentile(75),
    p90Ms: percentile(90),
    p99Ms: percentile(99),
    non2xx,
    socketErrors,
    errors: non2xx + socketErrors,
    raw,
  };
}

