// The blog example on Node: brings examples/blog/.keel up to date (what `keel gen`, or
// `node --import keel/node-hook`, does for an app), then runs the compiled server.ts.
// Build it first: npm run build:ts.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateIfStale } from "../../dist/codegen/generate.js";

const here = dirname(fileURLToPath(import.meta.url));
generateIfStale({ entry: join(here, "app.ts"), root: here, outDir: join(here, ".keel") });
await import("../../dist/examples/blog/server.js");
