// Checks `serve()` options and turns them into the runtime config JSON (docs/ARCHITECTURE.md,
// "Runtime config") plus the endpoint table that endpoint ids index into.

import { DEFAULT_STREAM_WINDOW_BYTES } from "./response-stream.js";
import { bindApp, type TypedApp, type TypedRoute } from "./typed-app.js";
import type { Engine, ErrorHandler, Handler, ServeOptions } from "./types.js";

/** The JSON `keel_open` takes. Absent fields take the runtime's defaults. */
export type RuntimeConfig = {
  hostname: string;
  port: number;
  idleTimeoutMs?: number;
  /** `typed` names the manifest endpoint whose request type Rust decodes and validates. */
  routes: Array<{ method: string; path: string; typed?: string }>;
  fallback: boolean;
  manifestPath?: string;
  engine?: Engine;
} & { [K in PassThroughOption]?: number };

/** What an endpoint id leads to: a fetch-style handler, or an api() endpoint. */
export type EndpointEntry = Handler | TypedRoute;

export interface ServerPlan {
  config: RuntimeConfig;
  /**
   * Index = endpoint id: 0 is `fetch` (the fallback); routes count from 1 in config order, the
   * app's typed endpoints first, then `routes`.
   */
  endpoints: Array<EndpointEntry | undefined>;
  /** The typed endpoints, whose accessors must be loaded before the first request. */
  typed: TypedApp | undefined;
  onError: ErrorHandler | undefined;
  /** Whether handlers run with LightResponse as the global Response (core/web-globals.ts). */
  lightResponses: boolean;
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"]);

/** Options copied to the config as they are: positive integers. */
const PASS_THROUGH = [
  "threads",
  "maxRequestBodySize",
  "headerReadTimeoutMs",
  "requestRingBytes",
  "responseBufferBytes",
  "inlineBodyMax",
  "maxInflight",
  "maxConnections",
  "queueTimeoutMs",
  "retryAfterSeconds",
  "streamWindowBytes",
] as const;

type PassThroughOption = (typeof PASS_THROUGH)[number];

const KNOWN_OPTIONS = new Set<string>(["port", "hostname", "app", "manifest", "fetch", "routes", "error", "idleTimeout", "engine", "overrideGlobalObjects", ...PASS_THROUGH]);

const ENGINES: readonly Engine[] = ["lean", "hyper"];

export function planServer(options: ServeOptions): ServerPlan {
  if (options === null || typeof options !== "object") {
    throw new TypeError("serve() takes an options object, e.g. serve({ port: 3000, fetch: (req) => new Response(\"hi\") }).");
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new TypeError(`serve(): unknown option "${key}". Known options: ${[...KNOWN_OPTIONS].join(", ")}.`);
    }
  }
  const { app, fetch, routes, error } = options;
  if (fetch !== undefined && typeof fetch !== "function") {
    throw new TypeError(`serve(): "fetch" must be a function (req, server) => Response, got ${typeof fetch}.`);
  }
  if (error !== undefined && typeof error !== "function") {
    throw new TypeError(`serve(): "error" must be a function (error) => Response, got ${typeof error}.`);
  }
  if (app === undefined && fetch === undefined && routes === undefined) {
    throw new TypeError(
      'serve() needs something to answer with: pass "app" (your api() endpoints), "fetch" (a handler for every request), "routes", or a mix.',
    );
  }
  if (options.manifest !== undefined && app === undefined) {
    throw new TypeError('serve(): "manifest" says where the typed endpoints of "app" are described, but there is no "app".');
  }

  const config: RuntimeConfig = {
    hostname: hostnameOption(options.hostname),
    port: portOption(options.port),
    routes: [],
    fallback: fetch !== undefined,
  };
  for (const key of PASS_THROUGH) {
    const value = options[key];
    if (value !== undefined) config[key] = positiveInteger(key, value);
  }
  // The stream writer paces itself by this window; stating it keeps Rust's count the same.
  config.streamWindowBytes ??= DEFAULT_STREAM_WINDOW_BYTES;
  if (options.idleTimeout !== undefined) {
    const seconds = options.idleTimeout;
    if (typeof seconds !== "number" || !(seconds > 0) || !Number.isFinite(seconds)) {
      throw new TypeError(`serve(): "idleTimeout" is in seconds and must be a positive number, got ${String(seconds)}.`);
    }
    config.idleTimeoutMs = Math.round(seconds * 1000);
  }

  if (options.engine !== undefined) {
    if (!ENGINES.includes(options.engine)) {
      throw new TypeError(`serve(): "engine" must be "lean" (the default) or "hyper", got ${JSON.stringify(options.engine)}.`);
    }
    config.engine = options.engine;
  }

  const lightResponses = options.overrideGlobalObjects ?? true;
  if (typeof lightResponses !== "boolean") {
    throw new TypeError(`serve(): "overrideGlobalObjects" must be true or false, got ${String(lightResponses)}.`);
  }

  const endpoints: Array<EndpointEntry | undefined> = [fetch];
  const typed = app === undefined ? undefined : bindApp(app, options.manifest);
  if (typed !== undefined) {
    config.manifestPath = typed.manifestPath;
    for (const route of typed.routes) {
      endpoints.push(route);
      config.routes.push({ method: route.method, path: route.path, typed: route.name });
    }
  }
  if (routes !== undefined) addRoutes(routes, config, endpoints);
  return { config, endpoints, typed, onError: error, lightResponses };
}

function addRoutes(routes: NonNullable<ServeOptions["routes"]>, config: RuntimeConfig, handlers: Array<EndpointEntry | undefined>): void {
  if (routes === null || typeof routes !== "object") {
    throw new TypeError('serve(): "routes" must be an object like { "/users/:id": handler }.');
  }
  for (const [path, route] of Object.entries(routes)) {
    if (!path.startsWith("/")) {
      const methodFirst = /^([A-Za-z]+)\s+(\/.*)$/.exec(path);
      const hint = methodFirst
        ? ` For one method, write { "${methodFirst[2]}": { ${methodFirst[1]!.toUpperCase()}: handler } }.`
        : "";
      throw new TypeError(`serve(): route "${path}" must be a path starting with "/", like "/users/:id".${hint}`);
    }
    if (typeof route === "function") {
      handlers.push(route);
      config.routes.push({ method: "*", path });
      continue;
    }
    if (route === null || typeof route !== "object") {
      throw new TypeError(
        `serve(): routes["${path}"] must be a handler or an object of handlers per method, like { GET: handler, POST: handler }.`,
      );
    }
    for (const [method, handler] of Object.entries(route)) {
      if (!METHODS.has(method)) {
        throw new TypeError(`serve(): routes["${path}"] has the key "${method}"; keys are HTTP methods in capitals, like GET or POST.`);
      }
      if (typeof handler !== "function") {
        throw new TypeError(`serve(): routes["${path}"].${method} must be a handler function, got ${typeof handler}.`);
      }
      handlers.push(handler);
      config.routes.push({ method, path });
    }
  }
}

function portOption(port: ServeOptions["port"]): number {
  if (port === undefined) return 3000;
  const value = typeof port === "string" && port.trim() !== "" ? Number(port) : port;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new TypeError(`serve(): "port" must be an integer from 0 to 65535 (0 picks a free port), got ${JSON.stringify(port)}.`);
  }
  return value;
}

function hostnameOption(hostname: ServeOptions["hostname"]): string {
  if (hostname === undefined) return "0.0.0.0";
  if (typeof hostname !== "string" || hostname === "") {
    throw new TypeError(`serve(): "hostname" must be an address such as "127.0.0.1" or "0.0.0.0", got ${JSON.stringify(hostname)}.`);
  }
  return hostname;
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new TypeError(`serve(): "${name}" must be a positive integer, got ${JSON.stringify(value)}.`);
  }
  return value;
}
