// keel/hono on Node (package.json "exports", conditions "import"/"default"), compiled to
// dist/bindings/hono/node.js.

import { serve as keelServe } from "../node/index.js";
import { createHonoServe } from "./serve.js";

export { getConnInfo } from "./conninfo.js";
export type { KeelHonoEnv } from "./env.js";
export type { FetchApp, HonoServe, HonoServeOptions, HonoServer, ListeningListener } from "./serve.js";

/** Serves a Hono app with Keel: `serve(app, { port: 3000 })`. */
export const serve = createHonoServe(keelServe, "node");
