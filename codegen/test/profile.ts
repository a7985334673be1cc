// A request of the kinds fixture's saveProfile (codegen/test/fixtures/kinds): every kind, unicode,
// big and negative numbers. Shared by the accessor and the writer tests.

export const address = { street: "Rue de l'Église 1", city: "Zürich" };

export const profile = {
  email: "émile@exämple.com",
  handle: "a_x",
  born: "2024-02-29T23:59:59.123Z",
  score: -1.25,
  count: 2 ** 53 - 1,
  status: "in-review",
  previous: null,
  kind: "profile",
  version: 2,
  verified: true,
  flag: false,
  limit: "auto",
  maybe: null,
  nickname: "",
  address,
  addresses: [address, { street: "🚀 Launch pad ".repeat(4), city: "日本語のテキストはマルチバイト" }],
  billing: { address },
  // JSON.parse makes "__proto__" an own key, as a JSON body would.
  labels: JSON.parse('{ "a": "x", "__proto__": "not a prototype", "": "empty key" }') as Record<string, string>,
  counters: { k: [1, -2, -(2 ** 53 - 1), 0] },
  places: { home: address },
  mixed: { s: "str", n: 3.5 },
  "x-forwarded-for": "10.0.0.1",
  some_key: "s".repeat(100),
  someKey: "caf\u00e9".repeat(20),
  table: false,
  value_type: "t",
  value: false,
};
