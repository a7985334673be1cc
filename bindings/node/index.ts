// Keel's entry point on Node (package.json "exports", conditions "import"/"default"): compiled
// to dist/bindings/node/index.js.

import { createServe } from "../core/serve.js";
import { loadNodeNative } from "./native.js";

export * from "../core/index.js";

/** Starts a server. See ServeOptions; the returned Server is listening when this returns. */
export const serve = createServe(loadNodeNative);
