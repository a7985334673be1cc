// The hello example: GET /hello answers JSON, POST /echo answers the request body back.
// Anything else gets Keel's 404 JSON, answered in Rust (there is no `fetch` fallback).
//
//   Bun:  npm run demo            (bun examples/hello/server.ts)
//   Node: node examples/hello/node.mjs   (runs the compiled copy of this file)

import { serve } from "keel";

const server = serve({
  port: process.env.PORT ?? 3000,
  routes: {
    "/hello": {
      GET: () => ({ body: { message: "Hello, World!" } }),
    },
    "/echo": {
      POST: async (req) => ({
        headers: { "content-type": req.headers.get("content-type") ?? "application/octet-stream" },
        body: await req.bytes(),
      }),
    },
  },
});

console.log(`Keel is listening on ${server.url}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.log(`${signal}: finishing in-flight requests…`);
    void server.stop().then(() => console.log("stopped"));
  });
}
