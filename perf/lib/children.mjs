// Every child process a benchmark starts, so that none outlives it. On Ctrl-C (or SIGTERM,
// SIGHUP) and through `exitKillingChildren`, whatever still runs gets SIGKILL and is waited for
// (2 s at most) before the script exits; a plain process exit kills them without waiting.

const live = new Set();

/** Registers a freshly spawned ChildProcess; returns it. */
export function track(child) {
  live.add(child);
  child.once("exit", () => live.delete(child));
  child.once("error", () => live.delete(child));
  return child;
}

function killAll() {
  const waits = [];
  for (const child of live) {
    waits.push(new Promise((resolve) => child.once("exit", resolve)));
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  return waits;
}

/** Kills every tracked child, waits for them briefly, then exits with `code`. */
export async function exitKillingChildren(code) {
  const waits = killAll();
  await Promise.race([Promise.all(waits), new Promise((resolve) => setTimeout(resolve, 2_000))]);
  process.exit(code);
}

process.on("exit", killAll);
for (const [signal, number] of [["SIGINT", 2], ["SIGTERM", 15], ["SIGHUP", 1]]) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping; child processes are killed.\n`);
    void exitKillingChildren(128 + number);
  });
}
