// Peer: Hono (hono-app.mjs) on Node through @hono/node-server. PORT=0 picks a free port;
// `ready <port>` when listening.

import { serve } from "@hono/node-server";
import { app } from "./hono-app.mjs";

const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: Number(process.env.PORT ?? 3000) }, (info) => {
  console.log(`ready ${info.port}`);
});

process.once("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
});
