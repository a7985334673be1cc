// Keel: the same Hono app (hono-app.mjs) as hono-bun.ts, served by keel/hono instead of
// Bun.serve. PORT=0 picks a free port; `ready <port>` when listening.

import { serve } from "../../bindings/hono/bun.ts";
import { app } from "./hono-app.mjs";

const server = serve(app, { hostname: "127.0.0.1", port: Number(process.env.PORT ?? 3000) });

console.log(`ready ${server.port}`);

process.once("SIGTERM", () => {
  void server.stop().then(() => process.exit(0));
});
