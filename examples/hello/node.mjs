// The hello example on Node: runs the compiled server.ts (build it with `npm run build:ts`).
import "../../dist/examples/hello/server.js";
