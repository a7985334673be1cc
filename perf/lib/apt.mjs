// Installs a missing tool from Debian's packages, as the benchmarks do for wrk and valgrind: only
// as root on a machine with apt-get; anywhere else it stops and says how to install it by hand.

import { spawnSync } from "node:child_process";

/**
 * Runs `apt-get install -y <pkg>` (after `apt-get update` if the first try fails). `manual` is
 * the error's text when that cannot or did not work: what the tool is and how to install it.
 */
export function aptInstall(pkg, manual, { log = console.error } = {}) {
  const isRoot = process.getuid?.() === 0;
  const hasApt = spawnSync("sh", ["-c", "command -v apt-get"], { stdio: "ignore" }).status === 0;
  if (!isRoot || !hasApt) throw new Error(manual);
  log(`${pkg} is missing: apt-get install -y ${pkg} …`);
  const install = () => spawnSync("apt-get", ["install", "-y", pkg], { stdio: "ignore", timeout: 300_000 }).status === 0;
  if (install()) return;
  spawnSync("apt-get", ["update"], { stdio: "ignore", timeout: 300_000 });
  if (!install()) throw new Error(`\`apt-get install -y ${pkg}\` failed; install ${pkg} by hand and try again.`);
}
