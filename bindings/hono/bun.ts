// keel/hono on Bun (package.json "exports", condition "bun").

import { serve as keelServe } from "../bun/index.js";
import { createHonoServe } from "./serve.js";

export { getConnInfo } from "./conninfo.js";
export type { KeelHonoEnv } from "./env.js";
export type { FetchApp, HonoServe, HonoServeOptions, HonoServer, ListeningListener } from "./serve.js";

/** Serves a Hono app with Keel: `serve(app, { port: 3000 })`. */
export const serve = createHonoServe(keelServe, "bun");
