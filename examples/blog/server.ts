// The blog example: typed endpoints (app.ts) served by Keel. Rust decodes and validates each
// request against the types in app.ts before a handler sees it.
//
//   Bun:  bun codegen/cli.ts gen --app examples/blog/app.ts --out examples/blog/.keel
//         bun examples/blog/server.ts
//   Node: npm run build:ts && node examples/blog/node.mjs   (generates .keel itself)
//
//   curl -i localhost:3000/posts -H 'cookie: session=s-1' -H 'content-type: application/json' \
//     -d '{"title":"Hello","body":"First post","author":{"name":"Ada","email":"ada@example.com"},"tags":["intro"]}'
//   curl -i localhost:3000/posts/1
//   curl -i 'localhost:3000/posts?tag=intro&limit=5'
//   curl -i localhost:3000/posts/0          → 400, answered by Rust: path.id must be at least 1

import { serve } from "keel";
import * as app from "./app.js";

// The manifest is found where `keel gen` wrote it: .keel in the working directory, or next to
// this script (pass `manifest` to say where it is instead).
const server = serve({ port: process.env.PORT ?? 3000, app });

console.log(`The blog is listening on ${server.url}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void server.stop());
}
