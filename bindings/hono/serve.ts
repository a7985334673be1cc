// `serve()` for Hono apps (and any app with a `fetch(request, env)` method): Keel's server in
// place of `Bun.serve({ fetch: app.fetch })` or @hono/node-server's `serve()`.
//
// Each request reaches `app.fetch` as a lazy web Request view (core/fetch-request.ts) with
// `c.env` set to a KeelHonoEnv (env.ts); the Response it returns is sent by core/send-response.ts.

import { fetchRequest } from "../core/fetch-request.js";
import { isPlainObject } from "../core/plain-object.js";
import type { Handler, ServeOptions, Server } from "../core/types.js";
import { installFetchGlobals } from "../core/web-globals.js";
import { KeelHonoEnv } from "./env.js";

/** An app Keel can serve: a Hono instance, or anything with Hono's `fetch` signature. */
export interface FetchApp {
  fetch(request: Request, env: KeelHonoEnv): Response | Promise<Response>;
}

export interface HonoServeOptions extends Omit<ServeOptions, "fetch" | "routes" | "app" | "manifest"> {
  /** The app's fetch, in the @hono/node-server shape `serve({ fetch: app.fetch, port })`. */
  fetch?: FetchApp["fetch"];
  /**
   * Whether to replace `globalThis.Request` (so that `new Request(c.req.raw)` works) and
   * `globalThis.Response` (with one Keel sends without reading it back; see
   * core/web-globals.ts), as @hono/node-server does. Default true.
   */
  overrideGlobalObjects?: boolean;
}

/** Called once the server is listening, like @hono/node-server's listening listener. */
export type ListeningListener = (info: { address: string; family: "IPv4" | "IPv6"; port: number }) => void;

/** The Keel server, plus `close()` for code written against Node's http.Server. */
export interface HonoServer extends Server {
  /** Same as `stop()`; calls back once stopped. */
  close(callback?: (error?: Error) => void): void;
}

export interface HonoServe {
  /** `serve(app, { port })`: serves a Hono app. */
  (app: FetchApp, options?: HonoServeOptions, listening?: ListeningListener): HonoServer;
  /** `serve({ fetch: app.fetch, port }, listening)`: @hono/node-server's call shape. */
  (options: HonoServeOptions & { fetch: FetchApp["fetch"] }, listening?: ListeningListener): HonoServer;
}

/** Options of Keel's serve() that make no sense here, and a word on why. */
const NOT_HERE: Record<string, string> = {
  routes: "the app routes its requests itself",
  app: "that option is for Keel's typed endpoints",
  manifest: "that option is for Keel's typed endpoints",
};

/** Builds keel/hono's `serve` from a runtime's Keel `serve`. */
export function createHonoServe(keelServe: (options: ServeOptions) => Server, runtime: "bun" | "node"): HonoServe {
  return ((target: FetchApp | HonoServeOptions, second?: HonoServeOptions | ListeningListener, third?: ListeningListener) => {
    const fetch = target?.fetch;
    if (typeof fetch !== "function") {
      throw new TypeError("keel/hono serve(): pass your app, as in serve(app, { port: 3000 }), or { fetch: app.fetch, port: 3000 }.");
    }
    const options: HonoServeOptions = typeof second === "object" && second !== null ? second : isPlainObject(target) ? (target as HonoServeOptions) : {};
    const listening = typeof second === "function" ? second : third;
    const { overrideGlobalObjects = true, fetch: _fetch, ...keelOptions } = options;
    for (const key of Object.keys(NOT_HERE)) {
      if (key in keelOptions) throw new TypeError(`keel/hono serve(): "${key}" is not an option here: ${NOT_HERE[key]}.`);
    }
    const app = target as FetchApp;
    const handler: Handler = (req) => fetch.call(app, fetchRequest(req), new KeelHonoEnv(req));
    if (overrideGlobalObjects) installFetchGlobals(runtime);
    const server = keelServe({ ...keelOptions, fetch: handler, overrideGlobalObjects }) as HonoServer;
    server.close = (callback) => {
      server.stop().then(() => callback?.(), callback);
    };
    if (listening !== undefined) {
      const family = server.hostname.includes(":") ? "IPv6" : "IPv4";
      queueMicrotask(() => listening({ address: server.hostname, family, port: server.port }));
    }
    return server;
  }) as HonoServe;
}
