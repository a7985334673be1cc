// Peer: Bun.serve with per-method routes.
//   GET /hello   → {"message":"Hello, World!"}
//   POST /schema → the request validated with Zod (schema-zod.mjs) and echoed; 400 when invalid.
// PORT=0 picks a free port; the line `ready <port>` says it is listening.

import { validateSchemaRequest } from "./schema-zod.mjs";

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 3000),
  routes: {
    "/hello": { GET: () => Response.json({ message: "Hello, World!" }) },
    "/schema": {
      POST: async (req) => {
        let body: unknown;
        try {
          body = await req.json();
        } catch {
          return Response.json({ error: "the body is not JSON" }, { status: 400 });
        }
        const query = Object.fromEntries(new URL(req.url).searchParams);
        const result = validateSchemaRequest(body, query, { "x-foo": req.headers.get("x-foo") ?? undefined });
        if (result.issues) return Response.json({ issues: result.issues }, { status: 400 });
        return Response.json(result.reply);
      },
    },
  },
  fetch: () => new Response("Not Found", { status: 404 }),
});

console.log(`ready ${server.port}`);

process.once("SIGTERM", () => {
  void server.stop(true).then(() => process.exit(0));
});
