// Peer: Elysia on Bun, validating with its TypeBox schemas (`t`).
//   GET /hello   → {"message":"Hello, World!"}
//   POST /schema → body, query and headers validated and echoed; Elysia answers invalid
//                  requests itself. The rules mirror examples/schema/app.ts.
// PORT=0 picks a free port; `ready <port>` when listening.

import { Elysia, t } from "elysia";

const body = t.Object({
  someKey: t.Optional(t.String()),
  someOtherKey: t.Optional(t.Number()),
  requiredKey: t.Array(t.Integer(), { maxItems: 3 }),
  nullableKey: t.Union([t.Number(), t.Null()]),
  multipleTypesKey: t.Union([t.Boolean(), t.Number()]),
  multipleRestrictedTypesKey: t.Union([t.String({ maxLength: 5 }), t.Number({ minimum: 10 })]),
  enumKey: t.Union([t.Literal("John"), t.Literal("Foo")]),
});
// Elysia turns query strings into numbers for numeric schemas.
const query = t.Object({ name: t.String(), excitement: t.Integer() });
const headers = t.Object({ "x-foo": t.String() });

const app = new Elysia()
  .get("/hello", () => ({ message: "Hello, World!" }))
  .post(
    "/schema",
    ({ body, query, headers }) => ({ body, query: { name: query.name, excitement: query.excitement }, header: { foo: headers["x-foo"] } }),
    { body, query, headers },
  )
  .listen({ hostname: "127.0.0.1", port: Number(process.env.PORT ?? 3000) });

console.log(`ready ${app.server!.port}`);

process.once("SIGTERM", () => {
  void app.stop(true).then(() => process.exit(0));
});
