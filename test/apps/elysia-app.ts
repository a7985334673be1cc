// The Elysia app of the differential tests: `t` validation, lifecycle hooks (request, derive,
// beforeHandle, afterHandle), an error handler with a custom error, cookies, redirects. The same
// app runs on Keel's adapter in the test process and on Elysia's own server (Bun.serve, or
// @elysiajs/node) in a child process (native-server.ts); both must answer alike.

import { Elysia, t, type ElysiaConfig } from "elysia";

class PaymentRequired extends Error {
  readonly status = 402;
  constructor(readonly plan: string) {
    super(`the ${plan} plan is needed`);
  }
}

export function createElysiaApp(adapter?: ElysiaConfig<"">["adapter"]) {
  return new Elysia({ adapter })
    .error({ PaymentRequired })
    .onError(({ code, error, set }) => {
      if (code === "PaymentRequired") {
        set.status = 402;
        return { error: error.message, plan: error.plan };
      }
      if (code === "NOT_FOUND") {
        set.status = 404;
        return { error: "no such route" };
      }
      if (code === "UNKNOWN") {
        set.status = 500;
        return { error: "internal", message: error.message };
      }
    })
    .onRequest(({ set }) => {
      set.headers["x-request-hook"] = "ran";
    })
    .derive(({ headers }) => ({ user: headers["authorization"]?.replace(/^Bearer /, "") ?? null }))
    .onAfterHandle(({ set }) => {
      set.headers["x-after-hook"] = "ran";
    })
    .get("/", () => "home")
    .get("/json", () => ({ hello: "world", list: [1, 2, 3] }))
    .get("/unicode", () => "héllo wörld — ✓ 日本語 🚀")
    .get("/users/:id", ({ params: { id } }) => ({ id, kind: typeof id }), { params: t.Object({ id: t.Numeric() }) })
    .post("/users", ({ body, set }) => {
      set.status = 201;
      return { created: body };
    }, { body: t.Object({ name: t.String({ minLength: 1 }), age: t.Integer({ minimum: 0 }) }) })
    .get("/search", ({ query }) => query, { query: t.Object({ q: t.String(), page: t.Optional(t.Numeric()) }) })
    .get("/headers", ({ headers }) => ({ custom: headers["x-custom"] ?? null }))
    .post("/form", ({ body }) => body)
    .post("/text", ({ body }) => `got ${String(body).length} chars`, { parse: "text" })
    .get("/me", ({ user }) => ({ user }), {
      beforeHandle({ user, set }) {
        if (user === null) {
          set.status = 401;
          return { error: "sign in first" };
        }
      },
    })
    .get("/status", ({ set }) => {
      set.status = 202;
      set.headers["x-accepted"] = "yes";
      return "accepted";
    })
    .get("/cookie", ({ cookie: { session } }) => {
      session!.set({ value: "abc", httpOnly: true, path: "/" });
      return "cookie set";
    })
    .get("/redirect", ({ redirect }) => redirect("/"))
    .get("/premium", () => {
      throw new PaymentRequired("gold");
    })
    .get("/error", () => {
      throw new Error("boom");
    })
    .get("/response", () => new Response("a Response", { status: 203, headers: { "x-raw": "yes" } }))
    .get("/later", async ({ set }) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      set.headers["x-later"] = "yes";
      return { later: true };
    })
    .get("/later-response", async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return new Response("a later Response", { headers: { "x-raw": "later" } });
    })
    .get("/static", "a static answer")
    .get("/no-content", ({ set }) => {
      set.status = 204;
    });
}
