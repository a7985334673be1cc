// `keel gen` as a function: analyze the app, render every output file, and write the ones that
// changed. The CLI, `--check`, the Bun plugin and the Node hook are thin wrappers around this.
//
// The output folder records what it was made from (inputs.json: each source file's SHA-256 and
// one hash over them all and the generator's version). The dev hooks compare only those hashes
// and skip parsing when nothing changed; `--check` regenerates in memory and compares every
// output byte, so it also catches hand edits and generator upgrades.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { analyze } from "./analyze.js";
import { emitAccessors } from "./emit/accessors.js";
import { encodeManifest } from "./emit/manifest.js";

/** Bumped whenever the generator's output changes for the same input. */
export const GENERATOR_VERSION = "3";

const INPUTS_FILE = "inputs.json";

export interface GenerateOptions {
  /** The app's entry file. */
  readonly entry: string;
  /** Where the generated files go. */
  readonly outDir: string;
  /** Paths in messages and in inputs.json are relative to this. */
  readonly root: string;
}

interface InputsRecord {
  readonly generator: string;
  readonly hash: string;
  readonly files: Record<string, string>;
}

export interface Rendered {
  /** File name in the output folder → content. */
  readonly files: ReadonlyMap<string, string | Uint8Array>;
  readonly inputs: InputsRecord;
}

/** Everything `keel gen` writes, in memory. Throws KeelCodegenError for an unsupported app. */
export function render(options: GenerateOptions): Rendered {
  const root = resolve(options.root);
  const { manifest, inputs } = analyze({ entry: options.entry, root });
  const files: Record<string, string> = {};
  for (const [path, text] of [...inputs].sort(([a], [b]) => a.localeCompare(b))) {
    files[relative(root, path).split(sep).join("/")] = sha256(text);
  }
  const record: InputsRecord = { generator: GENERATOR_VERSION, hash: sha256(JSON.stringify([GENERATOR_VERSION, files])), files };
  const { app_fbs, ...model } = manifest;
  const accessors = emitAccessors(manifest);
  return {
    inputs: record,
    files: new Map<string, string | Uint8Array>([
      ["app.fbs", app_fbs],
      ["manifest.bin", encodeManifest(manifest)],
      ["manifest.json", JSON.stringify(model, null, 2) + "\n"],
      ["accessors.js", accessors.js],
      ["accessors.d.ts", accessors.dts],
      // accessors.js is ESM; saying so lets every Node 20 load it, not only those that detect it.
      ["package.json", '{ "type": "module" }\n'],
      [INPUTS_FILE, JSON.stringify(record, null, 2) + "\n"],
    ]),
  };
}

/** Renders and writes the files whose content changed; returns their names. */
export function generate(options: GenerateOptions): string[] {
  const { files } = render(options);
  mkdirSync(options.outDir, { recursive: true });
  const written: string[] = [];
  for (const [name, content] of files) {
    const path = join(options.outDir, name);
    if (sameContent(path, content)) continue;
    writeFileSync(path, content);
    written.push(name);
  }
  return written;
}

export interface Staleness {
  /** Output files that are missing or differ from what the sources give now. */
  readonly outdated: string[];
  /** Source files added, removed or changed since the output was made. */
  readonly changedInputs: string[];
}

/** What `keel gen` would change in the output folder; nothing is written. */
export function check(options: GenerateOptions): Staleness {
  const { files, inputs } = render(options);
  const outdated = [...files].filter(([name, content]) => !sameContent(join(options.outDir, name), content)).map(([name]) => name);
  const recorded = readInputs(options.outDir)?.files ?? {};
  const names = new Set([...Object.keys(recorded), ...Object.keys(inputs.files)]);
  const changedInputs = [...names].filter((name) => recorded[name] !== inputs.files[name]).sort();
  return { outdated, changedInputs };
}

/**
 * Whether the output folder is up to date with the sources it records, judged by hashes alone
 * (no parsing): the dev hooks' fast path.
 */
export function isFresh(options: GenerateOptions): boolean {
  const recorded = readInputs(options.outDir);
  if (!recorded || recorded.generator !== GENERATOR_VERSION) return false;
  const entry = relative(resolve(options.root), resolve(options.entry)).split(sep).join("/");
  if (!(entry in recorded.files)) return false; // made from another entry
  for (const [name, hash] of Object.entries(recorded.files)) {
    const path = join(options.root, name);
    if (!existsSync(path) || sha256(readFileSync(path, "utf8")) !== hash) return false;
  }
  return true;
}

/** Regenerates unless the output is fresh; returns the files written (none when fresh). */
export function generateIfStale(options: GenerateOptions): string[] {
  return isFresh(options) ? [] : generate(options);
}

function readInputs(outDir: string): InputsRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(outDir, INPUTS_FILE), "utf8")) as InputsRecord;
  } catch {
    return undefined;
  }
}

function sameContent(path: string, content: string | Uint8Array): boolean {
  if (!existsSync(path)) return false;
  const existing = readFileSync(path);
  return existing.equals(typeof content === "string" ? Buffer.from(content, "utf8") : content);
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
