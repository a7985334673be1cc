// Starts a server under test as a child process and waits for its `ready <port>` line.

import { spawn } from "node:child_process";
import { track } from "./children.mjs";

const KEEP_OUTPUT = 16 * 1024; // characters of the server's output kept for error messages

/**
 * Spawns `command args` with `env` added to this process's environment. Resolves with
 * `{ pid, port, output(), stop() }` once the server prints `ready <port>`; rejects (and kills it)
 * if it exits or stays silent for `readyTimeoutMs`.
 */
export function startServer({ command, args = [], cwd, env = {}, readyTimeoutMs = 15_000 }) {
  const child = track(spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] }));
  let output = "";
  const keep = (chunk) => {
    output = (output + chunk).slice(-KEEP_OUTPUT);
  };
  child.stdout.setEncoding("utf8").on("data", keep);
  child.stderr.setEncoding("utf8").on("data", keep);

  return new Promise((resolve, reject) => {
    const fail = (reason) => {
      cleanup();
      child.kill("SIGKILL");
      reject(new Error(`${[command, ...args].join(" ")}: ${reason}${output ? `\n--- its output ---\n${output.trimEnd()}` : ""}`));
    };
    const onData = () => {
      const match = /^ready (\d+)\s*$/m.exec(output);
      if (!match) return;
      cleanup();
      resolve({
        pid: child.pid,
        port: Number(match[1]),
        output: () => output,
        alive: () => child.exitCode === null && child.signalCode === null,
        stop: (graceMs) => stopChild(child, graceMs),
      });
    };
    const onExit = (code, signal) => fail(`exited (${signal ?? `code ${code}`}) before printing "ready <port>"`);
    const onError = (error) => fail(error.message);
    const timer = setTimeout(() => fail(`no "ready <port>" line within ${readyTimeoutMs} ms`), readyTimeoutMs);
    function cleanup() {
      clearTimeout(timer);
      child.stdout.off("data", onData);
      child.off("exit", onExit);
      child.off("error", onError);
    }
    child.stdout.on("data", onData);
    child.once("exit", onExit);
    child.once("error", onError);
  });
}

/**
 * SIGTERM, then SIGKILL if the child is still there after `graceMs`. Resolves with
 * `{ clean, code, signal }`; `clean` means it exited by itself with code 0.
 */
function stopChild(child, graceMs = 5_000) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ clean: false, code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => {
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, graceMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ clean: !killed && code === 0, code, signal });
    });
    child.kill("SIGTERM");
  });
}
