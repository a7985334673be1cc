// Keel: the same Hono app (hono-app.mjs) as hono-node.mjs, served by keel/hono (compiled,
// `npm run build:ts`) instead of @hono/node-server. PORT=0 picks a free port; `ready <port>`.

import { serve } from "../../dist/bindings/hono/node.js";
import { app } from "./hono-app.mjs";

const server = serve(app, { hostname: "127.0.0.1", port: Number(process.env.PORT ?? 3000) });

console.log(`ready ${server.port}`);

process.once("SIGTERM", () => {
  void server.stop().then(() => process.exit(0));
});
