// Peer: Bun.serve with a per-method route. GET /hello → {"message":"Hello, World!"} as JSON.
// PORT=0 picks a free port; the line `ready <port>` says it is listening.

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 3000),
  routes: {
    "/hello": { GET: () => Response.json({ message: "Hello, World!" }) },
  },
  fetch: () => new Response("Not Found", { status: 404 }),
});

console.log(`ready ${server.port}`);

process.once("SIGTERM", () => {
  void server.stop(true).then(() => process.exit(0));
});
