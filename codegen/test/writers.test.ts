// The generated response writers (codegen/emit/writers.ts) against JSON.stringify: for values of
// the declared type they must write the very bytes JSON.stringify gives; for anything else they
// may decline, but whatever they accept they must write exactly as JSON.stringify would.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { JsonOut, type JsonWriter } from "../../bindings/core/json-out.js";
import { after, describe, test } from "../../test/harness.js";
import { analyze } from "../analyze.js";
import { emitAccessors } from "../emit/accessors.js";
import type { Manifest, Type } from "../model.js";
import { encodePayload } from "./encode.js";
import { profile } from "./profile.js";
import { fixturesDir, repoRoot } from "./support.js";

interface Generated {
  readPayload(Table: unknown, memory: unknown, start: number): unknown;
  endpoints: { name: string; Request: unknown; Write: JsonWriter | null }[];
}

const work = mkdtempSync(join(tmpdir(), "keel-writers-"));
const utf8 = new TextEncoder();

/** Generates accessors.js for a fixture app (or, given a path, any app) and imports it. */
async function load(app: string): Promise<{ manifest: Manifest; generated: Generated }> {
  const entry = app.includes("/") ? join(repoRoot, app) : join(fixturesDir, app, "app.ts");
  const { manifest } = analyze({ entry });
  app = app.replaceAll("/", "-");
  const path = join(work, `${app}.js`);
  writeFileSync(path, emitAccessors(manifest).js);
  return { manifest, generated: (await import(pathToFileURL(path).href)) as Generated };
}

/** What `write` makes of `value` in ample room: the bytes, or null when it declines. */
function written(write: JsonWriter, value: unknown): Uint8Array | null {
  const out = new JsonOut();
  const bytes = new Uint8Array(1 << 16);
  out.start(bytes, new DataView(bytes.buffer), 3, bytes.length);
  if (!write(out, value)) return null;
  assert.ok(out.fits);
  return bytes.slice(3, out.pos);
}

function assertSameAsStringify(write: JsonWriter, value: unknown, label: string): void {
  const bytes = written(write, value);
  assert.ok(bytes !== null, `${label}: the writer declined a value of its type: ${JSON.stringify(value)}`);
  assert.deepEqual(Buffer.from(bytes).toString("hex"), Buffer.from(utf8.encode(JSON.stringify(value))).toString("hex"), `${label}: ${JSON.stringify(value)}`);
}

// ---------------------------------------------------------------------------------------------
// Seeded values of a declared type, with the strings and numbers JSON is particular about.

const STRINGS = [
  "", "test", "John", 'say "hi"', "back\\slash", "line\nbreak\ttab\r", "\u0000\u0001\u001f\u007f", "/slash</script>",
  "é", "日本語", "🚀 launch", "\ud800", "lone \udc00 low", "\ud83d\ude80\ud83d", "\u2028\u2029", "a".repeat(40),
  "é".repeat(40), '"'.repeat(33), "x".repeat(31) + "\n", "__proto__", "constructor", "0", "12",
];
const NUMBERS = [0, -0, 1, -1, 7, 123, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1, -(2 ** 53 - 1), 0.1, -1.25, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, NaN, Infinity, -Infinity, 123456789.5];
const INTEGERS = [0, -0, 1, -1, 10, 999, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53 - 1, -(2 ** 53 - 1)];

class Random {
  constructor(private state: number) {}
  below(n: number): number {
    this.state = (Math.imul(this.state, 1103515245) + 12345) >>> 0;
    return (this.state >>> 8) % n;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.below(list.length)]!;
  }
  chance(oneIn: number): boolean {
    return this.below(oneIn) === 0;
  }
}

function valueOf(types: readonly Type[], index: number, random: Random, depth = 0): unknown {
  const type = types[index]!;
  switch (type.kind) {
    case "String":
      return random.pick(STRINGS);
    case "Number":
      return random.pick(NUMBERS);
    case "Integer":
      return random.pick(INTEGERS);
    case "Boolean":
      return random.chance(2);
    case "Date":
      return random.pick([new Date(Date.UTC(2024, 1, 29, 23, 59, 59, 123)), new Date(-1), new Date(NaN), new Date(8.64e15), "2026-12-04T00:00:00Z"]);
    case "Literal":
      return type.literal_string ?? type.literal_number ?? type.literal_bool;
    case "Enum":
      return random.pick(type.enum_values!);
    case "Array": {
      const items: unknown[] = [];
      for (let n = depth > 3 ? 0 : random.below(4); n > 0; n--) {
        items.push(random.chance(8) ? random.pick([null, undefined]) : valueOf(types, type.element!, random, depth + 1));
      }
      if (random.chance(10)) items.length += 1; // a hole
      return items;
    }
    case "Record": {
      const record: Record<string, unknown> = {};
      for (let n = depth > 3 ? 0 : random.below(4); n > 0; n--) {
        const value = random.chance(8) ? random.pick([null, undefined]) : valueOf(types, type.element!, random, depth + 1);
        Object.defineProperty(record, random.pick(STRINGS), { value, enumerable: true, writable: true, configurable: true });
      }
      return record;
    }
    case "Object": {
      const object: Record<string, unknown> = {};
      for (const field of type.fields!) {
        if (field.optional && random.chance(3)) {
          if (random.chance(2)) object[field.name] = undefined;
          continue;
        }
        object[field.name] = field.nullable && random.chance(3) ? null : valueOf(types, field.type, random, depth + 1);
      }
      return object;
    }
    case "Union":
      return valueOf(types, random.pick(type.variants!), random, depth);
  }
}

/** Ways to make a value JSON.stringify walks differently from the declared type. */
const SPOILERS: Array<[string, (value: Record<string, unknown>) => unknown]> = [
  ["an undeclared key", (value) => ({ ...value, extra: 1 })],
  ["the keys in another order", (value) => Object.fromEntries(Object.entries(value).reverse())],
  ["a toJSON()", (value) => ({ ...value, toJSON: () => "mine" })],
  ["an inherited enumerable key", (value) => Object.assign(Object.create({ inherited: 1 }), value)],
];

describe("generated response writers", () => {
  after(() => rmSync(work, { recursive: true, force: true }));

  test("the Encore benchmark reply is written as JSON.stringify writes it", async () => {
    const { generated } = await load("examples/schema/app.ts");
    const write = generated.endpoints.find((e) => e.name === "schema")!.Write!;
    const body = { someKey: "test", someOtherKey: 123, requiredKey: [123, 456, 789], nullableKey: null, multipleTypesKey: true, multipleRestrictedTypesKey: "test", enumKey: "John" };
    assertSameAsStringify(write, { body, query: { name: "test", excitement: 123 }, header: { foo: "test" } }, "reply");
    assertSameAsStringify(write, { body: { ...body, someKey: undefined, multipleTypesKey: 0.5, multipleRestrictedTypesKey: 12 }, query: { name: "ü", excitement: -5 }, header: { foo: "" } }, "variants");
    assert.equal(written(write, { body: { ...body, enumKey: 3 }, query: { name: "t", excitement: 1 }, header: { foo: "f" } }), null, "a number where a string is declared");
    assert.equal(written(write, "a string"), null);
    assert.equal(written(write, null), null, "null is left to JSON.stringify");
  });

  test("every kind, with seeded values: the same bytes as JSON.stringify", async () => {
    const { manifest, generated } = await load("kinds");
    let checked = 0;
    for (const endpoint of manifest.endpoints) {
      const write = generated.endpoints.find((e) => e.name === endpoint.name)!.Write!;
      assert.equal(typeof write, "function", `${endpoint.name} has a writer`);
      const random = new Random(endpoint.name.length * 7919);
      for (let i = 0; i < 400; i++) {
        assertSameAsStringify(write, valueOf(manifest.types, endpoint.response, random), `${endpoint.name} #${i}`);
        checked++;
      }
    }
    assert.equal(checked, 1200);
  });

  test("values JSON.stringify walks differently are declined or written the same", async () => {
    const { manifest, generated } = await load("kinds");
    const endpoint = manifest.endpoints.find((e) => e.name === "saveProfile")!;
    const write = generated.endpoints.find((e) => e.name === "saveProfile")!.Write!;
    const random = new Random(42);
    for (let i = 0; i < 200; i++) {
      const value = valueOf(manifest.types, endpoint.response, random) as Record<string, unknown>;
      for (const [name, spoil] of SPOILERS) {
        assert.equal(written(write, spoil(value)), null, `${name} must make the writer decline`);
      }
      // Deeper down, and wrong types anywhere: whatever is accepted must match.
      for (const [key, replacement] of [["address", { city: "c", street: "s", zip: 1 }], ["score", "12"], ["labels", { a: 1 }], ["addresses", [{}]], ["count", 10n], ["born", { toJSON: () => 1 }]] as const) {
        const spoiled = { ...value, [key]: replacement };
        const bytes = written(write, spoiled);
        if (bytes !== null) assert.equal(Buffer.from(bytes).toString(), JSON.stringify(spoiled), key);
      }
    }
  });

  test("an accessor answered as it came is written through its getters", async () => {
    const { manifest, generated } = await load("kinds");
    const endpoint = manifest.endpoints.find((e) => e.name === "saveProfile")!;
    const base = JSON.parse(JSON.stringify(profile)) as Record<string, unknown>;
    const variants = [base, { ...base, limit: 7, previous: "active", billing: null, maybe: undefined, value: "v", website: "https://example.com" }];
    for (const [i, value] of variants.entries()) {
      const payload = encodePayload(manifest, endpoint.request, value as never);
      const memory = { bytes: payload, view: new DataView(payload.buffer, payload.byteOffset), base: 0 };
      const req = generated.readPayload(generated.endpoints[0]!.Request, memory, 0);
      assertSameAsStringify(generated.endpoints[0]!.Write!, req, `echo #${i}`);
    }
  });

  test("each property name is written by one function, however many types share it", async () => {
    const { manifest } = await load("kinds");
    const js = emitAccessors(manifest).js;
    const names = new Set(manifest.types.filter((t) => t.kind === "Object").flatMap((t) => t.fields!.map((f) => f.name)));
    const shared = [...names].filter((name) => manifest.types.filter((t) => t.kind === "Object" && t.fields!.some((f) => f.name === name)).length > 1);
    assert.ok(shared.length > 0, "the fixture has a field name in several types");
    assert.equal(js.match(/^function key\$\d+\(out\) \{$/gm)?.length, names.size);
  });

  test("short of room, a writer writes nothing past its limit and says so", async () => {
    const { manifest, generated } = await load("kinds");
    const endpoint = manifest.endpoints.find((e) => e.name === "saveProfile")!;
    const write = generated.endpoints[0]!.Write!;
    const value = valueOf(manifest.types, endpoint.response, new Random(3));
    const expected = utf8.encode(JSON.stringify(value));
    for (let room = 0; room <= expected.length + 1; room += room < 40 ? 1 : 37) {
      const bytes = new Uint8Array(expected.length + 64).fill(0xaa);
      const out = new JsonOut();
      out.start(bytes, new DataView(bytes.buffer), 5, 5 + room);
      assert.equal(write(out, value), true);
      const fits = room >= expected.length;
      assert.equal(out.fits, fits, `room ${room} of ${expected.length}`);
      assert.ok(bytes.subarray(5 + room).every((b) => b === 0xaa), `room ${room}: a byte past the limit changed`);
      if (fits) assert.deepEqual(bytes.slice(5, out.pos), expected);
    }
  });
});
