// Loads the accessors `keel gen` wrote (accessors.js, next to the manifest) and gives each typed
// route its request reader. The server starts consuming requests only once this is done, so a
// typed route never sees a request before it can read one.

import { pathToFileURL } from "node:url";
import type { EndpointEntry } from "./config.js";
import type { JsonWriter } from "./json-out.js";
import type { PayloadMemory, TypedRoute } from "./typed-app.js";

type AccessorClass = new (memory: PayloadMemory, table: number) => unknown;

/** What accessors.js exports that the bindings use (codegen/emit/accessors.ts). */
interface GeneratedAccessors {
  readonly endpoints: ReadonlyArray<{ name: string; method: string; path: string; Request: AccessorClass | null; Write?: JsonWriter | null }>;
  readPayload(Table: AccessorClass, memory: PayloadMemory, start: number): unknown;
}

export async function loadAccessors(path: string, routes: readonly TypedRoute[]): Promise<void> {
  const generated = (await import(pathToFileURL(path).href)) as GeneratedAccessors;
  const { endpoints, readPayload } = generated;
  if (!Array.isArray(endpoints) || typeof readPayload !== "function") {
    throw new Error(`${path} is not accessors.js as keel gen writes it; run \`keel gen\`.`);
  }
  for (const route of routes) {
    const entry = endpoints.find((e) => e.name === route.name);
    if (entry === undefined || entry.method !== route.method || entry.path !== route.path) {
      throw new Error(`${path} does not match manifest.json (endpoint "${route.name}"): they come from different runs; run \`keel gen\`.`);
    }
    const Request = entry.Request;
    // One closure per endpoint, made once: the request path calls it without allocating more.
    route.readRequest = route.raw || Request === null ? null : (memory, start) => readPayload(Request, memory, start);
    route.writeResponse = !route.raw && typeof entry.Write === "function" ? entry.Write : null;
  }
}

/**
 * After a failed load: the typed (not raw) routes in the endpoint table become handlers that
 * throw, so requests already queued are answered 500 while the server stops, and no handler
 * runs without its request.
 */
export function disableTypedRoutes(endpoints: Array<EndpointEntry | undefined>, path: string): void {
  const unavailable = (): never => {
    throw new Error(`Keel cannot read typed requests: ${path} failed to load; run \`keel gen\` and restart.`);
  };
  for (let id = 0; id < endpoints.length; id++) {
    const entry = endpoints[id];
    if (entry !== undefined && typeof entry !== "function" && !entry.raw) endpoints[id] = unavailable;
  }
}
