// Which app `keel gen` works on, when the command line does not say: the KEEL_APP variable,
// then `"keel": { "app": "…" }` in the app's package.json, then the usual entry file names.

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const CONVENTIONAL_ENTRIES = ["src/index.ts", "src/main.ts", "src/app.ts", "src/server.ts", "index.ts", "main.ts", "app.ts", "server.ts"];

export const DEFAULT_OUT_DIR = ".keel";

/** The app's entry file (absolute), or undefined when nothing names one and none exists. */
export function findAppEntry(root: string, explicit?: string): string | undefined {
  const named = explicit ?? process.env.KEEL_APP ?? packageSetting(root);
  if (named !== undefined) return resolve(root, named);
  const found = CONVENTIONAL_ENTRIES.find((entry) => existsSync(join(root, entry)));
  return found === undefined ? undefined : join(root, found);
}

function packageSetting(root: string): string | undefined {
  const path = join(root, "package.json");
  if (!existsSync(path)) return undefined;
  try {
    const app = (JSON.parse(readFileSync(path, "utf8")) as { keel?: { app?: unknown } }).keel?.app;
    return typeof app === "string" ? app : undefined;
  } catch {
    return undefined;
  }
}
