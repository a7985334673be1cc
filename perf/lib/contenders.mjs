// Who runs: one server per contender (perf/servers/, or the Rust ceiling binary), the runtime
// that starts it, the workloads it answers, and what must be built first.
//
// `runtime`: "bun" (perf's own Bun), "node" (this Node) or "native" (an executable).
// `keel`: the Keel build outputs it needs (lib/keel-build.mjs), or null for a peer.
// `needs`: other build outputs (the ceiling binary).

const ALL = ["hello", "schema", "invalid"];
const HELLO = ["hello"];
const CEILING = "../target/release/examples/ceiling";

export const CONTENDERS = [
  { id: "keel-bun", name: "Keel on Bun", runtime: "bun", file: "servers/keel-bun.ts", workloads: ALL, keel: ["library", "bunEntry", "schemaApp"] },
  { id: "keel-node", name: "Keel on Node", runtime: "node", file: "servers/keel-node.mjs", workloads: ALL, keel: ["library", "dist", "schemaApp"] },
  { id: "bun-serve", name: "Bun.serve", runtime: "bun", file: "servers/bun-serve.ts", workloads: ALL, validator: "Zod" },
  { id: "elysia", name: "Elysia", runtime: "bun", file: "servers/elysia.ts", workloads: ALL, validator: "TypeBox" },
  { id: "hono-bun", name: "Hono on Bun", runtime: "bun", file: "servers/hono-bun.ts", workloads: ALL, validator: "Zod" },
  { id: "hono-node", name: "Hono on Node", runtime: "node", file: "servers/hono-node.mjs", workloads: ALL, validator: "Zod" },
  // The same Hono and Elysia apps with Keel as their server (keel/hono, keel/elysia): the
  // one-line swap the adapters promise, measured against the apps' own servers above. Opt-in
  // (`npm run bench:adapters`, or --only), so the default lab stays within its time budget.
  { id: "hono-keel-bun", name: "Hono on Keel, Bun", runtime: "bun", file: "servers/hono-keel-bun.ts", workloads: ALL, keel: ["library", "bunEntry"], validator: "Zod", optIn: true },
  { id: "hono-keel-node", name: "Hono on Keel, Node", runtime: "node", file: "servers/hono-keel-node.mjs", workloads: ALL, keel: ["library", "dist"], validator: "Zod", optIn: true },
  { id: "elysia-keel", name: "Elysia on Keel", runtime: "bun", file: "servers/elysia-keel.ts", workloads: ALL, keel: ["library", "bunEntry"], validator: "TypeBox", optIn: true },
  { id: "fastify", name: "Fastify", runtime: "node", file: "servers/fastify.mjs", workloads: ALL, validator: "Ajv" },
  { id: "express", name: "Express", runtime: "node", file: "servers/express.mjs", workloads: ALL, validator: "Zod" },
  { id: "node-http", name: "node:http", runtime: "node", file: "servers/node-http.mjs", workloads: HELLO },
  // The physical ceiling (crates/keel-runtime/examples/ceiling.rs): Keel's engine and ring with a
  // Rust consumer instead of JS, and bare hyper with no ring. GET /hello only.
  { id: "ceiling-ring", name: "Rust ring, no JS", runtime: "native", file: CEILING, args: ["ring", "0"], workloads: HELLO, needs: ["ceiling"], ceiling: true },
  { id: "ceiling-hyper", name: "Rust hyper alone", runtime: "native", file: CEILING, args: ["hyper", "0"], workloads: HELLO, needs: ["ceiling"], ceiling: true },
];

export function contender(id) {
  const found = CONTENDERS.find((c) => c.id === id);
  if (!found) throw new Error(`unknown contender "${id}"`);
  return found;
}

/**
 * The contenders named by a comma-separated `--only` list, in table order; when undefined, all
 * but the opt-in ones.
 */
export function selectContenders(only, pool = CONTENDERS) {
  if (only === undefined) return pool.filter((c) => !c.optIn);
  const ids = only.split(",").map((id) => id.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !pool.some((c) => c.id === id));
  if (unknown.length > 0 || ids.length === 0) {
    throw new Error(`--only: unknown contender "${unknown.join(", ")}"; choose from ${pool.map((c) => c.id).join(", ")}`);
  }
  return pool.filter((c) => ids.includes(c.id));
}

/** Every Keel build output the contenders need (lib/keel-build.mjs names). */
export function buildNeeds(contenders) {
  return [...new Set(contenders.flatMap((c) => [...(c.keel ?? []), ...(c.needs ?? [])]))];
}
