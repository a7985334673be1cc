// Keel's entry point on Bun (package.json "exports", condition "bun"): Bun runs these sources.

import { createServe } from "../core/serve.js";
import { loadBunNative } from "./native.js";

export * from "../core/index.js";

/** Starts a server. See ServeOptions; the returned Server is listening when this returns. */
export const serve = createServe(loadBunNative);
