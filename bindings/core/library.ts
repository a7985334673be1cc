// Finds libkeel_ffi for a binding: $KEEL_LIB when set, else the cargo release build inside the
// package, so that an app depending on this repository needs no configuration.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { KEEL_ABI_VERSION } from "./native.js";

const BUILD_COMMAND = "npm run build:native";

/** The path of the native library to open. Throws a clear Error when it does not exist. */
export function nativeLibraryPath(): string {
  const root = packageRoot();
  const path = process.env.KEEL_LIB || join(root, "target", "release", libraryFileName());
  if (!existsSync(path)) {
    throw new Error(
      `Keel's native library was not found at ${path}. Build it with \`${BUILD_COMMAND}\` ` +
        `(cargo build --release -p keel-ffi) in ${root}, or set KEEL_LIB.`,
    );
  }
  return path;
}

/** Throws unless the library at `path` implements the ABI this package was written for. */
export function checkAbiVersion(found: number, path: string): void {
  if (found !== KEEL_ABI_VERSION) {
    throw new Error(
      `Keel's native library at ${path} implements ABI version ${found}, but this package needs ` +
        `version ${KEEL_ABI_VERSION}. Rebuild it with \`${BUILD_COMMAND}\` in ${packageRoot()}.`,
    );
  }
}

/** Wraps a loader's failure to open an existing file (wrong architecture, missing symbol…). */
export function openFailed(path: string, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new Error(
    `Keel's native library at ${path} could not be opened: ${reason}. ` +
      `Rebuild it with \`${BUILD_COMMAND}\` in ${packageRoot()}.`,
    { cause },
  );
}

function libraryFileName(): string {
  if (process.platform === "darwin") return "libkeel_ffi.dylib";
  if (process.platform === "win32") return "keel_ffi.dll";
  return "libkeel_ffi.so";
}

let cachedRoot: string | undefined;

/**
 * The directory of Keel's package.json, found by walking up from this module: the same answer
 * from the TypeScript sources (bindings/core) and from the compiled ones (dist/bindings/core).
 */
function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && isKeelManifest(manifest)) return (cachedRoot = dir);
    if (dirname(dir) === dir) return (cachedRoot = start);
  }
}

function isKeelManifest(path: string): boolean {
  try {
    return (JSON.parse(readFileSync(path, "utf8")) as { name?: unknown }).name === "keel";
  } catch {
    return false;
  }
}
