// A child process for the differential tests: serves one of test/apps with the framework's own
// server — Bun.serve or @hono/node-server for Hono, Elysia's listen (Bun.serve, or @elysiajs/node
// on Node) for Elysia — on 127.0.0.1 and a free port, and prints "ready <port>".
// Usage: <bun|node> native-server.(ts|js) hono|elysia

import { createElysiaApp } from "./apps/elysia-app.js";
import { createHonoApp } from "./apps/hono-app.js";

const app = process.argv[2];
const isBun = "Bun" in globalThis;
const ready = (port: number) => console.log(`ready ${port}`);

if (app === "hono") {
  const hono = createHonoApp();
  if (isBun) {
    ready((globalThis as unknown as { Bun: { serve(o: object): { port: number } } }).Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: hono.fetch }).port);
  } else {
    const { serve } = await import("@hono/node-server");
    serve({ fetch: hono.fetch, hostname: "127.0.0.1", port: 0 }, (info) => ready(info.port));
  }
} else if (app === "elysia") {
  const adapter = isBun ? undefined : (await import("@elysiajs/node")).node();
  const elysia = createElysiaApp(adapter);
  elysia.listen({ hostname: "127.0.0.1", port: 0 }, (server) => {
    if (server.port) return ready(server.port);
    // @elysiajs/node reports the port it was asked for; its srvx server knows the real one.
    const raw = (server as unknown as { raw: { ready(): Promise<unknown>; url: string } }).raw;
    void raw.ready().then(() => ready(Number(new URL(raw.url).port)));
  });
} else {
  console.error(`native-server: unknown app ${JSON.stringify(app)}; use hono or elysia.`);
  process.exit(2);
}
