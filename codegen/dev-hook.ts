// What the dev-time hooks share: before the app starts, bring the generated files up to date
// (a hash comparison when nothing changed; a full `keel gen` otherwise). An app the generator
// rejects does not start: its error names the file, line and column to fix.

import { resolve } from "node:path";
import { DEFAULT_OUT_DIR, findAppEntry } from "./app-config.js";
import { KeelCodegenError } from "./errors.js";
import { generateIfStale } from "./generate.js";

/**
 * @param runningEntry the script being run, used when no entry is configured (Bun knows it;
 *   under Node the running file is usually compiled JavaScript, which cannot be analyzed).
 */
export function regenerateBeforeStart(runningEntry?: string): void {
  const root = process.cwd();
  const entry = findAppEntry(root) ?? (runningEntry && /\.(m|c)?tsx?$/.test(runningEntry) ? runningEntry : undefined);
  if (!entry) {
    process.stderr.write("keel gen: no app entry found (set KEEL_APP or package.json \"keel.app\"); skipping code generation\n");
    return;
  }
  const outDir = resolve(root, process.env.KEEL_OUT ?? DEFAULT_OUT_DIR);
  try {
    const written = generateIfStale({ entry, root, outDir });
    if (written.length > 0) process.stderr.write(`keel gen: updated ${written.join(", ")}\n`);
  } catch (error) {
    if (!(error instanceof KeelCodegenError)) throw error;
    process.stderr.write(`keel gen: ${error.message}\n`);
    process.exit(1);
  }
}
