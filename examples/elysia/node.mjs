// The Elysia example on Node: runs the compiled server.ts (build it with `npm run build:ts`).
import "../../dist/examples/elysia/server.js";
