// The Hono app of the differential tests: real middleware (secure-headers, cors, etag,
// basic-auth, a zod validator), cookies, redirects, errors, bodies of every kind. The same app
// runs behind Keel in the test process and behind Hono's native server in a child process
// (native-server.ts); both must answer alike.

import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono";
import { basicAuth } from "hono/basic-auth";
import { getCookie, setCookie } from "hono/cookie";
import { cors } from "hono/cors";
import { etag } from "hono/etag";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import { streamText } from "hono/streaming";
import { z } from "zod";

export function createHonoApp(): Hono {
  const app = new Hono();
  app.use("*", secureHeaders());
  app.use("/api/*", cors({ origin: ["https://example.com"], allowHeaders: ["x-custom"], exposeHeaders: ["x-total"], credentials: true, maxAge: 600 }));
  app.use("/etag/*", etag());
  app.use("/admin/*", basicAuth({ username: "admin", password: "secret" }));

  app.get("/", (c) => c.text("home"));
  app.get("/unicode", (c) => c.text("héllo wörld — ✓ 日本語 🚀"));
  app.get("/html", (c) => c.html("<h1>Keel</h1>"));
  app.get("/binary", (c) => c.body(new Uint8Array([0, 1, 2, 253, 254, 255]), 200, { "content-type": "application/octet-stream" }));
  app.get("/api/users/:id", (c) => c.json({ id: c.req.param("id"), q: c.req.query("q") ?? null }, 200, { "x-total": "1" }));
  app.post(
    "/api/users",
    zValidator("json", z.object({ name: z.string().min(1), age: z.number().int().min(0) })),
    (c) => c.json({ created: c.req.valid("json") }, 201),
  );
  app.get("/query", (c) => c.json(c.req.queries()));
  app.get("/headers", (c) => c.json({ custom: c.req.header("x-custom") ?? null, accept: c.req.header("accept") ?? null }));
  app.all("/method", (c) => c.text(`method ${c.req.method}`));
  app.post("/form", async (c) => c.json(await c.req.parseBody({ all: true })));
  app.post("/text", async (c) => c.text(`got ${(await c.req.text()).length} chars`));
  app.get("/etag/doc", (c) => c.text("a document that may be cached"));
  app.get("/admin/panel", (c) => c.text("welcome, admin"));
  app.get("/cookies", (c) => {
    setCookie(c, "a", "1", { path: "/" });
    setCookie(c, "b", "2", { httpOnly: true, sameSite: "Strict" });
    return c.text("two cookies");
  });
  app.get("/read-cookie", (c) => c.json({ a: getCookie(c, "a") ?? null }));
  app.get("/redirect", (c) => c.redirect("/"));
  app.get("/redirect-301", (c) => c.redirect("/new-home", 301));
  app.get("/no-content", (c) => c.body(null, 204));
  app.get("/not-modified", (c) => c.body(null, 304));
  app.get("/created", (c) => c.json({ ok: true }, 201, { location: "/things/1" }));
  app.get("/stream", (c) =>
    streamText(c, async (stream) => {
      for (const word of ["one", "two", "three"]) await stream.write(`${word}\n`);
    }),
  );
  app.get("/error", () => {
    throw new Error("boom");
  });
  app.get("/teapot", () => {
    throw new HTTPException(418, { message: "I am a teapot" });
  });
  app.onError((error, c) => (error instanceof HTTPException ? error.getResponse() : c.json({ error: error.message }, 500)));
  app.notFound((c) => c.json({ missing: c.req.path }, 404));
  return app;
}
