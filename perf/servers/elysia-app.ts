// The Elysia app of both Elysia contenders (elysia.ts on Elysia's own server, elysia-keel.ts on
// Keel), validating with its TypeBox schemas (`t`). The rules mirror examples/schema/app.ts.
//   GET /hello   → {"message":"Hello, World!"}
//   POST /schema → body, query and headers validated and echoed; Elysia answers invalid
//                  requests itself.

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

/** The app, on the adapter `config` names (Elysia's own Bun server when none). */
export function elysiaApp(config?: ConstructorParameters<typeof Elysia>[0]) {
  return new Elysia(config)
    .get("/hello", () => ({ message: "Hello, World!" }))
    .post(
      "/schema",
      ({ body, query, headers }) => ({ body, query: { name: query.name, excitement: query.excitement }, header: { foo: headers["x-foo"] } }),
      { body, query, headers },
    );
}
