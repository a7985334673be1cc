// The global Request and Response that Keel installs while it serves.
//
// While a handler runs synchronously under Keel's dispatch — Keel's own serve() and both
// adapters — the global Response is LightResponse (light-response.ts), which keeps what it was
// made from so that Keel can send it without the runtime building it and reading it back (on
// Bun ~1.3 µs to construct under load; on Node, undici's ~7 µs plus ~12 µs to read back).
// Responses made there are nearly always the handler's answer; the Bun APIs a handler may hand
// one to at once (HTMLRewriter's transform(), Bun.write()) are taught to take a light one, and
// everything else in the process — a Bun.serve beside Keel, code after an await — gets the
// runtime's own. `overrideGlobalObjects: false` turns the swap off.
//
// The adapters also replace the globals for good, as @hono/node-server does on Node:
// - Request: the runtime's own class, except that `new Request(view)` accepts a Keel request
//   view (fetch-request.ts), which the runtime's constructor rejects. Hono's body-limit
//   middleware and Elysia's mount() build requests that way.
// - Response: on Node, LightResponse itself (so an app's Responses made after an await are light
//   too); on Bun, KeptResponse (kept-response.ts), a real Bun Response that remembers its body.
// `instanceof` answers for instances of the runtime's own classes too, so code holding a request
// from elsewhere (or a Response from fetch()) sees no difference. Pass
// `overrideGlobalObjects: false` to the adapter to keep the globals untouched; Responses are then
// read back through their body stream.

import { unwrapFetchRequest } from "./fetch-request.js";
import { KeptResponse } from "./kept-response.js";
import { LightResponse, realResponse } from "./light-response.js";

const NativeRequest = globalThis.Request;

class Request extends NativeRequest {
  constructor(input: ConstructorParameters<typeof NativeRequest>[0], init?: RequestInit) {
    super(unwrapFetchRequest(input) as ConstructorParameters<typeof NativeRequest>[0], init);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof NativeRequest;
  }
}

/** Installs the Request above and the Response class for `runtime`. Idempotent. */
export function installFetchGlobals(runtime: "bun" | "node"): void {
  if (globalThis.Request !== Request) define("Request", Request);
  const response = runtime === "node" ? LightResponse : KeptResponse;
  if (globalThis.Response !== (response as unknown)) define("Response", response);
  prepareForLightResponses();
}

/** Readies the process for light Responses: on Bun, teaches its natives to take one. Idempotent. */
export function prepareForLightResponses(): void {
  if ("Bun" in globalThis) letBunTakeLightResponses();
}

const globals = globalThis as { Response: unknown };

/**
 * Makes LightResponse the global Response. Returns what `leaveLightScope` must put back, or
 * undefined when it already was the global (on Node under an adapter).
 */
export function enterLightScope(): unknown {
  const outside = globals.Response;
  if (outside === LightResponse) return undefined;
  globals.Response = LightResponse;
  return outside;
}

/** Ends what `enterLightScope` began, given what it returned. */
export function leaveLightScope(outside: unknown): void {
  if (outside !== undefined) globals.Response = outside;
}

/**
 * `fn`, run with LightResponse as the global Response: a framework's function that turns a
 * handler's result into a Response after an await (Elysia's mappers). Handlers themselves get
 * the same from Keel's dispatch. (Three parameters, passed on as they are, so that the hot path
 * spreads no arrays.)
 */
export function withLightResponses<A, B, C, R>(fn: (a: A, b: B, c?: C) => R): (a: A, b: B, c?: C) => R {
  return (a, b, c) => {
    const outside = enterLightScope();
    try {
      return fn(a, b, c);
    } finally {
      leaveLightScope(outside);
    }
  };
}

function define(name: "Request" | "Response", value: unknown): void {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
}

const TAKES_LIGHT = Symbol("keel.takesLightResponses");

/** Bun's functions that take a Response get a real one in place of a light one. */
function letBunTakeLightResponses(): void {
  const rewriter = (globalThis as { HTMLRewriter?: { prototype: object } }).HTMLRewriter;
  if (rewriter !== undefined) realizeArgument(rewriter.prototype, "transform", 0);
  realizeArgument((globalThis as { Bun?: object }).Bun, "write", 1);
}

/** Replaces `owner[name]` with a function that makes its argument `index` real if it is light. */
function realizeArgument(owner: object | undefined, name: string, index: number): void {
  const methods = owner as Record<string, ((...args: unknown[]) => unknown) & { [TAKES_LIGHT]?: true }> | undefined;
  const original = methods?.[name];
  if (typeof original !== "function" || original[TAKES_LIGHT]) return;
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    if (args.length > index) args[index] = realResponse(args[index]);
    return original.apply(this, args);
  };
  Object.defineProperty(wrapper, "name", { value: original.name });
  Object.defineProperty(wrapper, TAKES_LIGHT, { value: true });
  methods![name] = wrapper;
}
