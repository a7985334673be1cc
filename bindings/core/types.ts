// The public types of `serve()`.

import type { KeelRequest } from "./request.js";
import type { ResponseLike } from "./response.js";

/** What a handler may answer with: a standard Response or a plain `{ status, headers, body }`. */
export type HandlerResult = Response | ResponseLike;

export type Handler = (req: KeelRequest, server: Server) => HandlerResult | Promise<HandlerResult>;

/** Called with what a handler threw (anything but an APIError); its answer is sent instead. */
export type ErrorHandler = (error: unknown) => HandlerResult | Promise<HandlerResult>;

export type Method = "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS";

/** A route's value: one handler for every method, or one per method (Bun.serve style). */
export type RouteHandler = Handler | Partial<Record<Method, Handler>>;

export interface ServeOptions {
  /** TCP port; 0 picks a free one. Default 3000. A numeric string (e.g. from $PORT) is accepted. */
  port?: number | string;
  /** Address to listen on. Default "0.0.0.0". */
  hostname?: string;
  /**
   * Typed endpoints: the module that exports your api() endpoints (`await import("./app.ts")`)
   * or an object of them (`{ getPost, createPost }`). Other values are ignored. Each endpoint
   * is matched by its export name to the manifest `keel gen` wrote.
   */
  app?: object;
  /**
   * The folder `keel gen` wrote (or its manifest.bin), a path or a file: URL. Default: $KEEL_OUT
   * or .keel in the working directory (where `keel gen` writes), else .keel next to the main
   * script.
   */
  manifest?: string | URL;
  /** Handles every request no route matched. Without it, unmatched requests get 404 JSON. */
  fetch?: Handler;
  /** `{ "/users/:id": handler }` or `{ "/users/:id": { GET: handler, PUT: handler } }`. */
  routes?: Record<string, RouteHandler>;
  /** Answers for handlers that threw; without it they get 500 `{"code":"internal"}`. */
  error?: ErrorHandler;
  /** Largest request body in bytes (default 2 MiB); larger ones get 413 JSON. */
  maxRequestBodySize?: number;
  /**
   * Seconds a connection may go without a byte from the client while Keel waits for one
   * (default 10, as Bun.serve): between requests it is then closed; in the middle of a request
   * body, the request is answered 408 `deadline_exceeded` and the connection closed.
   */
  idleTimeout?: number;
  /** Rust I/O threads (default: one per core less the one the JS thread needs; at least one). */
  threads?: number;
  /**
   * The HTTP engine: "lean" (default; event-loop threads with their own HTTP/1.1, HTTP/2 handed
   * to hyper) or "hyper" (tokio + hyper for every connection). docs/ARCHITECTURE.md, "Engines".
   */
  engine?: Engine;
  /**
   * While a handler runs synchronously, the global `Response` is Keel's light one, which Keel
   * sends without the runtime building it and reading it back (a Response made after an await
   * is the runtime's own). `false` leaves the global alone. Default true.
   */
  overrideGlobalObjects?: boolean;

  // Advanced: the runtime's own knobs (docs/ARCHITECTURE.md, "Runtime config").
  /** Time allowed to send a request head (default 10 000 ms). */
  headerReadTimeoutMs?: number;
  /** Size of the request ring (default 512 KiB; a request too large for half of it travels outside it). */
  requestRingBytes?: number;
  /** Size of the response buffer (default 4 MiB). */
  responseBufferBytes?: number;
  /** Bodies larger than this stay outside the ring (default 64 KiB). */
  inlineBodyMax?: number;
  /** Requests handed to JS and not yet answered (default 16 384). */
  maxInflight?: number;
  /** Open connections at most (default 10 000); further ones wait in the listen backlog until one closes. */
  maxConnections?: number;
  /** How long a request may wait for ring space before it gets 503 (default 5 000 ms). */
  queueTimeoutMs?: number;
  /** The Retry-After sent with that 503 (default 1 s). */
  retryAfterSeconds?: number;
  /** Per streamed response, body bytes sent ahead of what the client has taken (default 256 KiB). */
  streamWindowBytes?: number;
}

/** Which Rust HTTP engine serves connections. */
export type Engine = "lean" | "hyper";

export interface StopOptions {
  /** How long in-flight requests may take to finish before connections are closed (default 10 000). */
  graceMs?: number;
}

export interface Server {
  readonly port: number;
  readonly hostname: string;
  /** Where to reach the server, e.g. http://localhost:3000/. */
  readonly url: URL;
  /** Requests whose handlers are still running. */
  readonly pendingRequests: number;
  /**
   * Stops accepting connections at once, lets in-flight requests finish (for up to `graceMs`),
   * then frees the runtime. `stop(true)` closes active connections without waiting. Calling it
   * again returns the same promise.
   */
  stop(options?: StopOptions | boolean): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
