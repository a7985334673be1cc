// The Encore.ts benchmark's validation endpoint (github.com/encoredev/ts-benchmarks):
//
//   POST /schema?name=test&excitement=123      x-foo: test
//   {"someKey":"test","someOtherKey":123,"requiredKey":[123,456,789],"nullableKey":null,
//    "multipleTypesKey":true,"multipleRestrictedTypesKey":"test","enumKey":"John"}
//
// The reply echoes the body, the query and the header as the handler read them.

import { api, type Header, type Int, type MaxLen, type Min, type Query } from "keel";

interface SchemaBody {
  someKey?: string;
  someOtherKey?: number;
  requiredKey: Int[] & MaxLen<3>;
  nullableKey: number | null;
  multipleTypesKey: boolean | number;
  multipleRestrictedTypesKey: (string & MaxLen<5>) | (number & Min<10>);
  enumKey: "John" | "Foo";
}

interface SchemaRequest extends SchemaBody {
  name: Query<string>;
  excitement: Query<Int>;
  foo: Header<"x-foo">;
}

interface SchemaReply {
  body: SchemaBody;
  query: { name: string; excitement: number };
  header: { foo: string };
}

export const schema = api({ method: "POST", path: "/schema" }, async (req: SchemaRequest): Promise<SchemaReply> => ({
  body: {
    someKey: req.someKey,
    someOtherKey: req.someOtherKey,
    requiredKey: req.requiredKey,
    nullableKey: req.nullableKey,
    multipleTypesKey: req.multipleTypesKey,
    multipleRestrictedTypesKey: req.multipleRestrictedTypesKey,
    enumKey: req.enumKey,
  },
  query: { name: req.name, excitement: req.excitement },
  header: { foo: req.foo },
}));
