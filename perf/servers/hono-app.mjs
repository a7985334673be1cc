// The Hono app of both Hono contenders (hono-bun.ts, hono-node.mjs).
//   GET /hello   → {"message":"Hello, World!"}
//   POST /schema → body, query and header validated by @hono/zod-validator (schema-zod.mjs) and
//                  echoed; the validator answers 400 when invalid.

import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono";
import { SchemaBody, SchemaHeaders, SchemaQuery, schemaReply } from "./schema-zod.mjs";

export const app = new Hono();

app.get("/hello", (c) => c.json({ message: "Hello, World!" }));

app.post(
  "/schema",
  zValidator("json", SchemaBody),
  zValidator("query", SchemaQuery),
  zValidator("header", SchemaHeaders),
  (c) => c.json(schemaReply(c.req.valid("json"), c.req.valid("query"), c.req.valid("header"))),
);
