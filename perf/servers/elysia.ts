// Peer: Elysia (elysia-app.ts) on its own Bun server. PORT=0 picks a free port; `ready <port>`
// when listening.

import { elysiaApp } from "./elysia-app.ts";

const app = elysiaApp().listen({ hostname: "127.0.0.1", port: Number(process.env.PORT ?? 3000) });

console.log(`ready ${app.server!.port}`);

process.once("SIGTERM", () => {
  void app.stop(true).then(() => process.exit(0));
});
