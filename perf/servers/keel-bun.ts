// Keel on Bun, from the repository's sources. GET /hello → {"message":"Hello, World!"} as JSON:
// a plain-object answer whose object body Keel serializes (and labels application/json).
// PORT=0 picks a free port; KEEL_THREADS sets the Rust I/O threads (default: one per core).

import { serve } from "../../bindings/bun/index.ts";

const server = serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 3000),
  threads: process.env.KEEL_THREADS ? Number(process.env.KEEL_THREADS) : undefined,
  routes: {
    "/hello": { GET: () => ({ body: { message: "Hello, World!" } }) },
  },
});

console.log(`ready ${server.port}`);

process.once("SIGTERM", () => {
  void server.stop({ graceMs: 1000 }).then(() => process.exit(0));
});
