// The Hono example on Node: runs the compiled server.ts (build it with `npm run build:ts`).
import "../../dist/examples/hono/server.js";
