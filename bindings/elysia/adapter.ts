// Keel as an Elysia adapter: `new Elysia({ adapter: keel() })`, then `app.listen(3000)` and
// `app.stop()` as usual.
//
// Elysia's adapters (1.2+) each bring a `listen` that starts a server with `app.fetch` as its
// handler, a `stop`, and the code that maps handler results to Responses. Keel's adapter takes
// the latter from the runtime's own adapter — Elysia's Bun adapter on Bun, its web-standard one
// on Node — and brings its own `listen` and `stop`. Each request reaches `app.fetch` as a lazy web
// Request view (core/fetch-request.ts); `app.server` is a small object in the shape of Bun's
// server (port, url, stop, requestIP, ...), so that `server.requestIP(request)` gives the client's
// address. WebSockets are not served (Elysia warns when a route asks for one).

import type { AnyElysia } from "elysia";
import type { ElysiaAdapter } from "elysia/adapter";
import { requestIP } from "../core/conninfo.js";
import { fetchRequest } from "../core/fetch-request.js";
import type { Handler, ServeOptions, Server } from "../core/types.js";
import { installFetchGlobals, withLightResponses } from "../core/web-globals.js";

export interface KeelAdapterOptions extends Omit<ServeOptions, "fetch" | "routes" | "app" | "manifest" | "port" | "hostname"> {
  /**
   * Whether to replace `globalThis.Request` (so that `new Request(request)` works on Keel's
   * request views, as Elysia's mount() needs) and `globalThis.Response` (with one Keel sends
   * without reading it back; see core/web-globals.ts). Default true.
   */
  overrideGlobalObjects?: boolean;
}

/** `app.listen()`'s first argument: a port, or Bun.serve-style options. */
type ListenOptions = string | number | { port?: number | string; hostname?: string; maxRequestBodySize?: number; idleTimeout?: number; [option: string]: unknown };

/** Listen options Keel cannot honour; ignoring them would be a surprise. */
const REFUSED: Record<string, string> = {
  tls: "Keel serves plain HTTP; terminate TLS in front of it",
  unix: "Keel listens on TCP only",
};

/** What `app.server` is under Keel: the parts of Bun's Server that Elysia and its plugins use. */
export interface KeelElysiaServer {
  readonly id: string;
  readonly hostname: string;
  readonly port: number;
  readonly url: URL;
  readonly development: boolean;
  readonly pendingRequests: number;
  readonly pendingWebSockets: number;
  /** The Keel server underneath. */
  readonly keel: Server;
  requestIP(request: Request): { address: string; family: "IPv4" | "IPv6"; port: number } | null;
  stop(closeActiveConnections?: boolean): Promise<void>;
  /** Requests always go to the app's current `fetch`: nothing to reload. */
  reload(options?: unknown): KeelElysiaServer;
  fetch(request: Request): Response | Promise<Response>;
  /** No WebSockets under Keel: always false. */
  upgrade(request: Request, options?: unknown): boolean;
  publish(topic: string, data: unknown): number;
}

/** Builds `keel()` from the runtime's Elysia adapter and Keel `serve`. */
export function createKeelAdapter(
  base: ElysiaAdapter,
  keelServe: (options: ServeOptions) => Server,
  runtime: "bun" | "node",
): (options?: KeelAdapterOptions) => ElysiaAdapter {
  return (adapterOptions = {}) => {
    const { overrideGlobalObjects = true, ...keelOptions } = adapterOptions;
    return {
      ...base,
      name: "keel",
      handler: responseMappers(base.handler, overrideGlobalObjects),
      ws: undefined,
      listen: (app) => (options, callback) => {
        const { port, hostname, ...limits } = listenOptions(options as ListenOptions);
        // `app.fetch` is read per request: compile() may replace it (routes added later).
        const fetch: Handler = (req) => app.fetch(fetchRequest(req));
        if (overrideGlobalObjects) installFetchGlobals(runtime);
        app.compile();
        const keel = keelServe({ ...keelOptions, ...limits, port, hostname, fetch, overrideGlobalObjects });
        const server = elysiaServer(app, keel);
        app.server = server as unknown as AnyElysia["server"];
        for (const hook of app.event.start ?? []) hook.fn(app);
        callback?.(server as unknown as Parameters<NonNullable<typeof callback>>[0]);
        // Plugins loaded lazily (`app.use(import(...))`) add routes later: compile again then.
        void app.modules.then(() => app.compile());
      },
      async stop(app, closeActiveConnections) {
        const server = app.server as unknown as KeelElysiaServer | null;
        if (server === null) throw new Error("Elysia isn't running: call `app.listen(port)` before `app.stop()`.");
        await server.stop(closeActiveConnections);
        app.server = null;
        for (const hook of app.event.stop ?? []) hook.fn(app);
      },
    };
  };
}

/**
 * Elysia's functions that turn a handler's result into a Response, for an app on Keel: no native
 * static routes (Keel answers every request through `app.fetch`); and, when Keel may replace the
 * globals, each mapper runs with light Responses as the global Response (core/web-globals.ts;
 * on Node they are the global all along), so that an answer made after the handler's first
 * await — once a body was parsed, or from an async handler — is light too. (Elysia's mappers
 * take at most three arguments — response, set, request — which is what withLightResponses
 * passes on.)
 */
function responseMappers(handler: ElysiaAdapter["handler"], light: boolean): ElysiaAdapter["handler"] {
  const mappers = { ...handler, createNativeStaticHandler: undefined };
  if (!light) return mappers;
  return {
    ...mappers,
    mapResponse: withLightResponses(handler.mapResponse),
    mapEarlyResponse: withLightResponses(handler.mapEarlyResponse),
    mapCompactResponse: withLightResponses(handler.mapCompactResponse),
  };
}

function listenOptions(options: ListenOptions): { port: number | string | undefined; hostname?: string; maxRequestBodySize?: number; idleTimeout?: number } {
  if (typeof options === "number" || typeof options === "string") return { port: options };
  if (options === null || typeof options !== "object") {
    throw new TypeError(`app.listen(): pass a port or { port, hostname }, got ${String(options)}.`);
  }
  for (const key of Object.keys(REFUSED)) {
    if (options[key] !== undefined) throw new TypeError(`app.listen(): "${key}" is not supported with Keel's adapter: ${REFUSED[key]}.`);
  }
  const { port, hostname, maxRequestBodySize, idleTimeout } = options;
  return { port, hostname, maxRequestBodySize, idleTimeout };
}

function elysiaServer(app: AnyElysia, keel: Server): KeelElysiaServer {
  const server: KeelElysiaServer = {
    id: "keel",
    hostname: keel.hostname,
    port: keel.port,
    url: keel.url,
    development: process.env.NODE_ENV !== "production",
    get pendingRequests() {
      return keel.pendingRequests;
    },
    pendingWebSockets: 0,
    keel,
    requestIP,
    stop: (closeActiveConnections) => keel.stop(closeActiveConnections === true),
    reload: () => server,
    fetch: (request) => app.fetch(request),
    upgrade: () => false,
    publish: () => 0,
  };
  return server;
}
