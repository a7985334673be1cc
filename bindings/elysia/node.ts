// keel/elysia on Node (package.json "exports", conditions "import"/"default"), compiled to
// dist/bindings/elysia/node.js: Elysia's web-standard adapter maps results to Responses; Keel
// serves them.

import { WebStandardAdapter } from "elysia/adapter/web-standard";
import { serve as keelServe } from "../node/index.js";
import { createKeelAdapter } from "./adapter.js";

export type { KeelAdapterOptions, KeelElysiaServer } from "./adapter.js";

/** Keel as Elysia's adapter: `new Elysia({ adapter: keel() })`. */
export const keel = createKeelAdapter(WebStandardAdapter, keelServe, "node");
