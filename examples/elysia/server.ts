// Elysia on Keel, through Elysia's adapter interface: the app is unchanged but for `adapter`.
//
//   Bun:  npm run example:elysia        (bun examples/elysia/server.ts)
//   Node: node examples/elysia/node.mjs (runs the compiled copy of this file; npm run build:ts)
//
//   curl localhost:3000/hello
//   curl -H 'content-type: application/json' -d '{"name":"Ada","age":36}' localhost:3000/users
//   curl localhost:3000/users/abc     (422: t.Numeric)

import { Elysia, t } from "elysia";
import { keel } from "keel/elysia";

const app = new Elysia({ adapter: keel() })
  .onAfterHandle(({ set }) => {
    set.headers["x-served-by"] = "keel";
  })
  .get("/hello", () => "Hello from Elysia on Keel!")
  .get("/users/:id", ({ params: { id } }) => ({ id }), { params: t.Object({ id: t.Numeric() }) })
  .post("/users", ({ body, set }) => {
    set.status = 201;
    return body;
  }, { body: t.Object({ name: t.String({ minLength: 1 }), age: t.Integer({ minimum: 0 }) }) })
  .get("/whoami", ({ server, request }) => server?.requestIP(request))
  .get("/count", async function* () {
    for (let i = 1; i <= 5; i++) {
      yield `${i}\n`;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })
  .listen(process.env.PORT ?? 3000);

console.log(`Elysia on Keel is listening on ${app.server?.url}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void app.stop().then(() => console.log("stopped")));
}
