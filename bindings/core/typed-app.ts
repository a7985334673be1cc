// `serve({ app })`: finds the files `keel gen` wrote, matches the app's api() endpoints to the
// manifest's by name, and makes one typed route per endpoint. Everything that can be checked
// before the runtime opens is checked here, so that a stale or missing manifest fails serve()
// with a message naming the endpoint and the fix rather than surfacing as wrong requests.
//
// The runtime loads manifest.bin; this side reads manifest.json, its readable twin written in
// the same run, for the names. Rust checks the binary against the routes again on open.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isApiEndpoint } from "./api.js";
import type { ApiContext } from "./context.js";
import type { JsonWriter } from "./json-out.js";

/** Where `keel gen` writes by default, from the working directory (codegen/app-config.ts). */
const DEFAULT_OUT_DIR = ".keel";
const FIX = "run `keel gen` (or preload keel/bun-plugin, or start Node with --import keel/node-hook)";

/** The memory a payload's accessors read: the request envelope (see codegen/emit/accessors.ts). */
export interface PayloadMemory {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly base: number;
}

/** An api() endpoint bound to the manifest: what the dispatcher calls for its endpoint id. */
export interface TypedRoute {
  /** The export name, which is the endpoint's name in the manifest. */
  readonly name: string;
  readonly method: string;
  readonly path: string;
  /** A fetch-style endpoint: the handler gets the KeelRequest and answers like `fetch`. */
  readonly raw: boolean;
  readonly handler: (req: unknown, ctx: ApiContext) => unknown;
  /**
   * Builds the typed request over a payload (`start` is relative to the memory's base); null
   * for an endpoint that takes no request. Set from accessors.js before the first request.
   */
  readRequest: ((memory: PayloadMemory, start: number) => unknown) | null;
  /**
   * Writes the handler's result as JSON from its declared type (codegen/emit/writers.ts). Null,
   * and JSON.stringify writes it, for raw endpoints and for an accessors.js older than the
   * writers. Set with `readRequest`.
   */
  writeResponse: JsonWriter | null;
}

export interface TypedApp {
  /** manifest.bin, for the runtime config's `manifestPath`. */
  readonly manifestPath: string;
  /** accessors.js, imported before the first request is dispatched. */
  readonly accessorsPath: string;
  /** In the order they become routes. */
  readonly routes: TypedRoute[];
}

/** An endpoint as manifest.json lists it (schemas/manifest.fbs, `Endpoint`). */
interface ManifestEndpoint {
  name: string;
  method: string;
  path: string;
  raw: boolean;
  file: string;
  line: number;
}

/** Binds the api() endpoints among `app`'s values to the manifest in `manifest` (or the default place). */
export function bindApp(app: unknown, manifest: string | URL | undefined): TypedApp {
  if (app === null || typeof app !== "object") {
    throw new TypeError('serve(): "app" must be the module that exports your api() endpoints, e.g. app: await import("./app.ts").');
  }
  const endpoints = Object.entries(app).filter(([, value]) => isApiEndpoint(value));
  if (endpoints.length === 0) {
    throw new TypeError(
      'serve(): "app" has no api() endpoints. Pass the module that exports them (app: await import("./app.ts")) or an object of them (app: { getPost, createPost }).',
    );
  }
  const dir = generatedDir(manifest);
  const manifestPath = join(dir, "manifest.bin");
  const listed = readEndpoints(dir);

  const problems: string[] = [];
  const routes: TypedRoute[] = [];
  const served = new Set<string>();
  for (const [name, endpoint] of endpoints) {
    const { method, path, raw = false } = endpoint.options;
    served.add(name);
    const entry = listed.find((e) => e.name === name);
    if (entry === undefined) {
      const twin = listed.find((e) => e.method === method && e.path === path);
      const hint = twin ? ` It has ${method} ${path} as "${twin.name}": export the endpoint under that name.` : "";
      problems.push(`endpoint "${name}" (${method} ${path}) is not in the manifest.${hint}`);
    } else if (entry.method !== method || entry.path !== path || entry.raw !== raw) {
      problems.push(`endpoint "${name}" is ${describe(method, path, raw)} in the app but ${describe(entry.method, entry.path, entry.raw)} in the manifest.`);
    }
    routes.push({ name, method, path, raw, handler: endpoint.handler as TypedRoute["handler"], readRequest: null, writeResponse: null });
  }
  for (const entry of listed) {
    if (served.has(entry.name)) continue;
    problems.push(
      `the manifest has endpoint "${entry.name}" (${entry.method} ${entry.path}, ${entry.file}:${entry.line}) but "app" does not: pass the module keel gen analyzed (the entry that exports or imports every endpoint).`,
    );
  }
  if (problems.length > 0) {
    throw new Error(`serve(): the app does not match ${manifestPath}; it is stale or for another app. If the app is right, ${FIX}.\n  - ${problems.join("\n  - ")}`);
  }
  return { manifestPath, accessorsPath: join(dir, "accessors.js"), routes };
}

function describe(method: string, path: string, raw: boolean): string {
  return `${method} ${path}${raw ? " (raw)" : ""}`;
}

/**
 * The folder `keel gen` wrote: the `manifest` option (that folder, or its manifest.bin), else
 * $KEEL_OUT or .keel from the working directory (where `keel gen` and its hooks write), else
 * .keel next to the main script.
 */
function generatedDir(option: string | URL | undefined): string {
  if (option !== undefined) {
    if (typeof option !== "string" && !(option instanceof URL)) {
      throw new TypeError(`serve(): "manifest" must be a path (or file: URL) to the folder keel gen wrote, got ${typeof option}.`);
    }
    const path = resolve(option instanceof URL ? fileURLToPath(option) : option);
    const dir = path.endsWith(".bin") ? dirname(path) : path;
    if (!existsSync(join(dir, "manifest.bin"))) {
      throw new Error(`serve(): there is no manifest.bin in ${dir} (from the "manifest" option); ${FIX}, or point "manifest" at the folder it writes.`);
    }
    return dir;
  }
  const candidates = [resolve(process.env.KEEL_OUT ?? DEFAULT_OUT_DIR)];
  const main = process.argv[1];
  if (process.env.KEEL_OUT === undefined && main !== undefined) candidates.push(join(dirname(resolve(main)), DEFAULT_OUT_DIR));
  const found = candidates.find((dir) => existsSync(join(dir, "manifest.bin")));
  if (found === undefined) {
    throw new Error(
      `serve(): the app has typed endpoints but no manifest was found (looked in ${candidates.join(" and ")}). To make it, ${FIX}; or pass serve({ manifest: "<the folder keel gen wrote>" }).`,
    );
  }
  return found;
}

function readEndpoints(dir: string): ManifestEndpoint[] {
  const path = join(dir, "manifest.json");
  let endpoints: unknown;
  try {
    endpoints = (JSON.parse(readFileSync(path, "utf8")) as { endpoints?: unknown }).endpoints;
  } catch (error) {
    throw new Error(`serve(): cannot read ${path} (${(error as Error).message}); ${FIX}.`);
  }
  if (!Array.isArray(endpoints)) {
    throw new Error(`serve(): ${path} has no "endpoints" list; it is damaged: ${FIX}.`);
  }
  return endpoints as ManifestEndpoint[];
}
