// Keel on Bun, from the repository's sources.
//   GET /hello   → {"message":"Hello, World!"}: a plain-object answer whose object body Keel
//                  serializes (and labels application/json).
//   POST /schema → the typed endpoint of examples/schema/app.ts: Rust decodes and validates the
//                  request against the manifest `keel gen` wrote in examples/schema/.keel and
//                  answers invalid ones 400 itself; the handler echoes the typed request.
// PORT=0 picks a free port; KEEL_THREADS sets the Rust I/O threads (default: cores − 1, at least 1).

import { serve } from "../../bindings/bun/index.ts";
import * as schemaApp from "../../examples/schema/app.ts";

const server = serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 3000),
  threads: process.env.KEEL_THREADS ? Number(process.env.KEEL_THREADS) : undefined,
  app: schemaApp,
  manifest: new URL("../../examples/schema/.keel/", import.meta.url),
  routes: {
    "/hello": { GET: () => ({ body: { message: "Hello, World!" } }) },
  },
});

console.log(`ready ${server.port}`);

process.once("SIGTERM", () => {
  void server.stop({ graceMs: 1000 }).then(() => process.exit(0));
});
