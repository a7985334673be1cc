// keel/elysia on Bun (package.json "exports", condition "bun"): Elysia's Bun adapter maps
// results to Responses; Keel serves them.

import { BunAdapter } from "elysia/adapter/bun";
import { serve as keelServe } from "../bun/index.js";
import { createKeelAdapter } from "./adapter.js";

export type { KeelAdapterOptions, KeelElysiaServer } from "./adapter.js";

/** Keel as Elysia's adapter: `new Elysia({ adapter: keel() })`. */
export const keel = createKeelAdapter(BunAdapter, keelServe, "bun");
