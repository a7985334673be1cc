// The global Request and Response that Keel's adapters install while they serve, as
// @hono/node-server does on Node:
// - Request: the runtime's own class, except that `new Request(view)` accepts a Keel request
//   view (fetch-request.ts), which the runtime's constructor rejects. Hono's body-limit
//   middleware and Elysia's mount() build requests that way.
// - Response: on Node, LightResponse (light-response.ts), which saves undici's construction and
//   read-back on every response; on Bun, KeptResponse (kept-response.ts), a real Bun Response
//   (Bun.serve in the same process still accepts it) that remembers its body.
// `instanceof` answers for instances of the runtime's own classes too, so code holding a request
// from elsewhere (or a Response from fetch()) sees no difference. Pass
// `overrideGlobalObjects: false` to the adapter to keep the globals untouched; Responses are then
// read back through their body stream.

import { unwrapFetchRequest } from "./fetch-request.js";
import { KeptResponse } from "./kept-response.js";
import { LightResponse } from "./light-response.js";

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
}

function define(name: "Request" | "Response", value: unknown): void {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
}
