// Helpers for the typed-endpoint suites: run `keel gen` on an app into a temporary folder, then
// serve the app's module against what it wrote, over real HTTP.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { ServeOptions, Server } from "keel";
import { generate } from "../codegen/generate.js";
import { after, before } from "./harness.js";
import { repoRoot, startServer } from "./support.js";

/**
 * Generates the app whose entry is `entry` (a TypeScript source, relative to the repository)
 * into a fresh temporary folder and returns it; the caller removes it (`removeDir`).
 */
export function generateApp(entry: string): string {
  const source = join(repoRoot, entry);
  const outDir = mkdtempSync(join(tmpdir(), "keel-typed-"));
  generate({ entry: source, root: dirname(source), outDir });
  return outDir;
}

export function removeDir(dir: string): void {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
}

/**
 * A server for the enclosing describe block that serves `app` (the entry's module, imported by
 * the test) with the manifest generated from `entry`. Read `server` and `base` inside tests.
 */
export function useTypedServer(
  entry: string,
  app: object,
  options: Omit<ServeOptions, "app" | "manifest"> = {},
): { readonly server: Server; readonly base: string; readonly manifest: string } {
  let started: { server: Server; base: string } | undefined;
  let manifest = "";
  before(() => {
    manifest = generateApp(entry);
    started = startServer({ ...options, app, manifest });
  });
  after(async () => {
    await started?.server.stop();
    removeDir(manifest);
  });
  return {
    get server() {
      return started!.server;
    },
    get base() {
      return started!.base;
    },
    get manifest() {
      return manifest;
    },
  };
}

/** POSTs `body` as JSON. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}
