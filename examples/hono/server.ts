// Hono on Keel: the app's server swapped for Keel's Rust front end, in one line.
//
//   Bun:  npm run example:hono        (bun examples/hono/server.ts)
//   Node: node examples/hono/node.mjs (runs the compiled copy of this file; npm run build:ts)
//
//   curl localhost:3000/hello
//   curl -H 'content-type: application/json' -d '{"text":"hi"}' localhost:3000/notes
//   curl -N localhost:3000/ticks

import { getConnInfo, serve } from "keel/hono";
import { app } from "./app.js";

app.get("/whoami", (c) => c.json(getConnInfo(c).remote));

// Instead of Bun.serve({ fetch: app.fetch }) or @hono/node-server's serve({ fetch: app.fetch }):
const server = serve(app, { port: process.env.PORT ?? 3000 });

console.log(`Hono on Keel is listening on ${server.url}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void server.stop().then(() => console.log("stopped")));
}
