// Peer: Hono (hono-app.mjs) on Bun.serve. PORT=0 picks a free port; `ready <port>` when listening.

import { app } from "./hono-app.mjs";

const server = Bun.serve({ hostname: "127.0.0.1", port: Number(process.env.PORT ?? 3000), fetch: app.fetch });

console.log(`ready ${server.port}`);

process.once("SIGTERM", () => {
  void server.stop(true).then(() => process.exit(0));
});
