#!/usr/bin/env node
// `npm run fuzz [-- --seconds N] [-- libFuzzer flags…]`: builds fuzz/ with libFuzzer's coverage
// instrumentation and fuzzes the typed request decoder (fuzz/fuzz_targets/typed_decode.rs) for
// N seconds (60 by default).
//
// The instrumentation flags are stable rustc codegen options (what cargo-fuzz passes, less the
// sanitizer, which needs nightly; the decoder has no unsafe code for one to check). They go to
// the fuzz target's own target triple only, so build scripts and proc macros build as usual.
// The corpus grows in fuzz/corpus/typed_decode, seeded from fuzz/seeds/typed_decode; an input
// that fails is written to fuzz/artifacts/typed_decode/ and replayed by passing its path.

import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const fuzzDir = join(root, "fuzz");
const TARGET = "typed_decode";

const args = process.argv.slice(2);
let seconds = 60;
const passThrough = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--seconds") {
    seconds = Number(args[++i]);
    if (!Number.isFinite(seconds) || seconds <= 0) fail("--seconds takes a positive number, e.g. --seconds 300");
  } else if (args[i] === "--help") {
    console.log("Usage: npm run fuzz [-- --seconds N] [-- -libfuzzer_flag=value … | path/to/input]");
    process.exit(0);
  } else {
    passThrough.push(args[i]);
  }
}

const host = /^host: (\S+)$/m.exec(capture("rustc", ["-vV"]))?.[1];
if (host === undefined) fail("`rustc -vV` did not name the host target triple");

const coverageFlags = [
  "-Cpasses=sancov-module",
  "-Cllvm-args=-sanitizer-coverage-level=4",
  "-Cllvm-args=-sanitizer-coverage-inline-8bit-counters",
  "-Cllvm-args=-sanitizer-coverage-pc-table",
  "-Cllvm-args=-sanitizer-coverage-trace-compares",
  "--cfg",
  "fuzzing",
].join(" ");
console.log(`fuzz: building ${TARGET} for ${host} with coverage instrumentation …`);
const build = spawnSync("cargo", ["build", "--release", "--manifest-path", join(fuzzDir, "Cargo.toml"), "--target", host, "--bin", TARGET], {
  stdio: "inherit",
  env: { ...process.env, RUSTFLAGS: coverageFlags },
});
if (build.status !== 0) fail("building the fuzz target failed (cargo's output is above)");

const binary = join(fuzzDir, "target", host, "release", TARGET);
const corpus = join(fuzzDir, "corpus", TARGET);
const artifacts = join(fuzzDir, "artifacts", TARGET) + "/";
mkdirSync(corpus, { recursive: true });
mkdirSync(artifacts, { recursive: true });
// A path argument replays that input; otherwise fuzz the corpus (new inputs go to its first directory).
const replay = passThrough.some((arg) => !arg.startsWith("-"));
const inputs = replay ? [] : [corpus, join(fuzzDir, "seeds", TARGET)];
const limits = replay ? [] : [`-max_total_time=${seconds}`, "-max_len=4096"];
console.log(replay ? "fuzz: replaying …" : `fuzz: ${seconds} s; corpus in ${corpus}`);
const run = spawnSync(binary, [...limits, `-artifact_prefix=${artifacts}`, "-print_final_stats=1", ...passThrough, ...inputs], { stdio: "inherit" });
if (run.status !== 0) {
  fail(`the fuzzer stopped with status ${run.status ?? run.signal}; an input that failed, if it found one, is in ${artifacts} (replay it with \`npm run fuzz -- <that file>\`)`);
}

function capture(command, commandArgs) {
  const result = spawnSync(command, commandArgs, { encoding: "utf8" });
  if (result.status !== 0) fail(`\`${command} ${commandArgs.join(" ")}\` failed: ${result.stderr ?? result.error}`);
  return result.stdout;
}

function fail(message) {
  console.error(`fuzz: ${message}`);
  process.exit(1);
}
