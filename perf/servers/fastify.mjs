// Peer: Fastify on Node, validating with its built-in JSON Schema support (Ajv).
//   GET /hello   → {"message":"Hello, World!"}
//   POST /schema → body, querystring and headers validated and echoed; Fastify answers invalid
//                  requests 400 itself. The rules mirror examples/schema/app.ts. No response
//                  schema: the reply is serialized with JSON.stringify, as for every contender.
// PORT=0 picks a free port; `ready <port>` when listening.

import Fastify from "fastify";

const body = {
  type: "object",
  required: ["requiredKey", "nullableKey", "multipleTypesKey", "multipleRestrictedTypesKey", "enumKey"],
  properties: {
    someKey: { type: "string" },
    someOtherKey: { type: "number" },
    requiredKey: { type: "array", maxItems: 3, items: { type: "integer" } },
    nullableKey: { type: ["number", "null"] },
    multipleTypesKey: { anyOf: [{ type: "boolean" }, { type: "number" }] },
    multipleRestrictedTypesKey: { anyOf: [{ type: "string", maxLength: 5 }, { type: "number", minimum: 10 }] },
    enumKey: { type: "string", enum: ["John", "Foo"] },
  },
};
// Fastify's Ajv coerces querystring values to the declared types.
const querystring = {
  type: "object",
  required: ["name", "excitement"],
  properties: { name: { type: "string" }, excitement: { type: "integer" } },
};
const headers = { type: "object", required: ["x-foo"], properties: { "x-foo": { type: "string" } } };

const app = Fastify({ logger: false });

app.get("/hello", async () => ({ message: "Hello, World!" }));

app.post("/schema", { schema: { body, querystring, headers } }, async (req) => ({
  body: req.body,
  query: { name: req.query.name, excitement: req.query.excitement },
  header: { foo: req.headers["x-foo"] },
}));

await app.listen({ host: "127.0.0.1", port: Number(process.env.PORT ?? 3000) });
console.log(`ready ${app.server.address().port}`);

process.once("SIGTERM", () => {
  void app.close().then(() => process.exit(0));
});
