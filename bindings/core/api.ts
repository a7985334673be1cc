// `api()`: declares a typed endpoint. At run time it only checks and pairs the options with the
// handler. `keel gen` reads the same call from the source to make the schema, and
// `serve({ app })` binds the pair to the manifest by the name the module exports it under.

import type { Api, ApiEndpoint, ApiOptions } from "./markers.js";

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "*"]);

/**
 * Marks what `api()` made. A registered symbol, so that an endpoint made by another copy of
 * this module (two installs of keel, or sources next to their compiled twin) is recognised.
 */
const API_ENDPOINT = Symbol.for("keel.api");

/**
 * Declares a typed endpoint: `export const getPost = api({ method: "GET", path: "/posts/:id" },
 * async (req: GetPost): Promise<Post> => …)`. Export it, run `keel gen`, and serve the module
 * with `serve({ app })`.
 */
export const api: Api = (options, handler) => {
  if (options === null || typeof options !== "object") {
    throw new TypeError('api() takes the options first: api({ method: "GET", path: "/posts/:id" }, handler).');
  }
  const { method, path, raw = false } = options;
  if (!METHODS.has(method)) {
    throw new TypeError(`api(): method ${JSON.stringify(method)} is not one of ${[...METHODS].join(", ")}.`);
  }
  if (typeof path !== "string" || !path.startsWith("/")) {
    throw new TypeError(`api(): path must start with "/", like "/posts/:id"; got ${JSON.stringify(path)}.`);
  }
  if (typeof raw !== "boolean") throw new TypeError(`api(): raw must be true or false, got ${JSON.stringify(raw)}.`);
  if (typeof handler !== "function") {
    throw new TypeError(`api(${method} ${path}): the handler must be a function, got ${typeof handler}.`);
  }
  const frozen: ApiOptions = Object.freeze({ method, path, raw });
  return Object.freeze({ options: frozen, handler, [API_ENDPOINT]: true });
};

/** Whether `value` was made by `api()`. */
export function isApiEndpoint(value: unknown): value is ApiEndpoint<unknown, unknown> {
  return typeof value === "object" && value !== null && (value as { [API_ENDPOINT]?: unknown })[API_ENDPOINT] === true;
}
