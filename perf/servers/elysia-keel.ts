// Keel: the same Elysia app (elysia-app.ts) on Keel through Elysia's adapter interface
// (keel/elysia). PORT=0 picks a free port; `ready <port>` when listening.

import { keel } from "../../bindings/elysia/bun.ts";
import { elysiaApp } from "./elysia-app.ts";

const app = elysiaApp({ adapter: keel() }).listen({ hostname: "127.0.0.1", port: Number(process.env.PORT ?? 3000) });

console.log(`ready ${app.server!.port}`);

process.once("SIGTERM", () => {
  void app.stop(true).then(() => process.exit(0));
});
