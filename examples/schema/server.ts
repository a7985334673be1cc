// The Encore.ts benchmark app (app.ts) on Keel.
//
//   Bun:  bun codegen/cli.ts gen --app examples/schema/app.ts --out examples/schema/.keel
//         bun examples/schema/server.ts
//   Node: npm run build:ts && node examples/schema/node.mjs   (generates .keel itself)
//
//   curl -i 'localhost:3000/schema?name=test&excitement=123' -H 'x-foo: test' -H 'content-type: application/json' \
//     -d '{"someKey":"test","someOtherKey":123,"requiredKey":[123,456,789],"nullableKey":null,"multipleTypesKey":true,"multipleRestrictedTypesKey":"test","enumKey":"John"}'

import { serve } from "keel";
import * as app from "./app.js";

const server = serve({ port: process.env.PORT ?? 3000, app });

console.log(`The schema benchmark app is listening on ${server.url}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void server.stop());
}
