// The POST /schema rules in Zod, for the peers that validate with it (Bun.serve, Hono, Express).
// They mirror examples/schema/app.ts, the Keel app: the same fields, the same optionality.

import { z } from "zod";

export const SchemaBody = z.object({
  someKey: z.string().optional(),
  someOtherKey: z.number().optional(),
  requiredKey: z.array(z.int()).max(3),
  nullableKey: z.number().nullable(),
  multipleTypesKey: z.union([z.boolean(), z.number()]),
  multipleRestrictedTypesKey: z.union([z.string().max(5), z.number().min(10)]),
  enumKey: z.enum(["John", "Foo"]),
});

/** Query values arrive as strings: `excitement` is coerced, then must be an integer. */
export const SchemaQuery = z.object({ name: z.string(), excitement: z.coerce.number().int() });

export const SchemaHeaders = z.object({ "x-foo": z.string() });

/** The reply every contender sends: the request echoed as its handler read it. */
export function schemaReply(body, query, headers) {
  return { body, query: { name: query.name, excitement: query.excitement }, header: { foo: headers["x-foo"] } };
}

/**
 * Validates the three parts of a request with Zod. Returns `{ reply }` for a valid one, else
 * `{ issues }` (Zod's list, what the 400 answer carries).
 */
export function validateSchemaRequest(body, query, headers) {
  const b = SchemaBody.safeParse(body);
  if (!b.success) return { issues: b.error.issues };
  const q = SchemaQuery.safeParse(query);
  if (!q.success) return { issues: q.error.issues };
  const h = SchemaHeaders.safeParse(headers);
  if (!h.success) return { issues: h.error.issues };
  return { reply: schemaReply(b.data, q.data, h.data) };
}
