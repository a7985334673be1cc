// Round trip through the generated accessors: payloads encoded per docs/TYPED-APIS.md (as the
// Rust decoder lays them out) must read back as the values they were made from.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { analyze } from "../analyze.js";
import { emitAccessors } from "../emit/accessors.js";
import type { Manifest } from "../model.js";
import { after, describe, test } from "../../test/harness.js";
import { shortStrings, shuffled } from "../../test/random-strings.js";
import { encodePayload } from "./encode.js";
import { address, profile } from "./profile.js";
import { fixturesDir } from "./support.js";

interface Memory {
  bytes: Uint8Array;
  view: DataView;
  base: number;
}
type Accessor = Record<string, unknown> & { toJSON(): unknown };
type Table = new (memory: Memory, table: number) => Accessor;
interface Generated {
  readPayload(Table: Table, memory: Memory, start: number): Accessor;
  endpoints: { name: string; Request: Table | null }[];
}

const work = mkdtempSync(join(tmpdir(), "keel-accessors-"));

/** Generates the fixture app's accessors.js and imports it. */
async function load(app: string): Promise<{ manifest: Manifest; generated: Generated }> {
  const { manifest } = analyze({ entry: join(fixturesDir, app, "app.ts") });
  const path = join(work, `${app}.js`);
  writeFileSync(path, emitAccessors(manifest).js);
  return { manifest, generated: (await import(pathToFileURL(path).href)) as Generated };
}

/** Endpoint `name`'s request `value`, encoded inside a larger buffer, and the memory over it. */
function encodeRequest(manifest: Manifest, name: string, value: Record<string, unknown>): { memory: Memory; start: number } {
  const endpoint = manifest.endpoints.find((e) => e.name === name)!;
  // Put the payload at an unaligned offset inside a larger buffer, as it sits in the envelope,
  // and count positions from a base that is not 0, as in the request ring.
  const payload = encodePayload(manifest, endpoint.request, value as never);
  const bytes = new Uint8Array(payload.length + 20);
  bytes.set(payload, 12);
  return { memory: { bytes, view: new DataView(bytes.buffer), base: 8 }, start: 4 };
}

/** Encodes `value` as endpoint `name`'s request and reads it back through its accessor. */
function roundTrip({ manifest, generated }: { manifest: Manifest; generated: Generated }, name: string, value: Record<string, unknown>) {
  const { memory, start } = encodeRequest(manifest, name, value);
  const Request = generated.endpoints.find((e) => e.name === name)!.Request!;
  return generated.readPayload(Request, memory, start);
}

describe("generated accessors", () => {
  after(() => rmSync(work, { recursive: true, force: true }));

  test("the Encore benchmark request", async () => {
    const app = await load("encore-schema");
    const body = {
      name: "test",
      excitement: 123,
      foo: "bar",
      someKey: "test",
      someOtherKey: 123,
      requiredKey: [123, 456, 789],
      nullableKey: null,
      multipleTypesKey: true,
      multipleRestrictedTypesKey: "test",
      enumKey: "John",
    };
    const req = roundTrip(app, "schema", body);
    assert.equal(req.name, "test");
    assert.equal(req.excitement, 123);
    assert.equal(req.foo, "bar");
    assert.deepEqual(req.requiredKey, [123, 456, 789]);
    assert.equal(req.requiredKey, req.requiredKey, "arrays are read once and cached");
    assert.equal(req.nullableKey, null);
    assert.equal(req.multipleTypesKey, true);
    assert.equal(req.multipleRestrictedTypesKey, "test");
    assert.equal(req.enumKey, "John");
    assert.deepEqual(JSON.parse(JSON.stringify(req)), body);

    const other = roundTrip(app, "schema", { ...body, someKey: undefined, nullableKey: 0, multipleTypesKey: 0, multipleRestrictedTypesKey: 12, enumKey: "Foo" });
    assert.equal(other.someKey, undefined, "missing → undefined");
    assert.equal(other.nullableKey, 0, "0 is a value, not null");
    assert.equal(other.multipleTypesKey, 0);
    assert.equal(other.multipleRestrictedTypesKey, 12);
    assert.equal(other.enumKey, "Foo");

    const missing = roundTrip(app, "schema", { ...body, nullableKey: undefined });
    assert.equal(missing.nullableKey, undefined, "a missing nullable field is undefined, not null");
  });

  test("numbers read back exactly across the int32 edges, -0 included", async () => {
    // Whole numbers that fit 32 bits come back as int32 (accessor-prelude.ts): the value must
    // not change at the edges, nor -0 lose its sign.
    const app = await load("encore-schema");
    const base = { name: "n", excitement: 1, foo: "f", requiredKey: [], nullableKey: null, multipleTypesKey: true, multipleRestrictedTypesKey: 10, enumKey: "John" };
    const numbers = [0, -0, 1, -1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32, 0.5, -1.25, 2 ** 53 - 1, -(2 ** 53 - 1), 1e300];
    for (const n of numbers) {
      const req = roundTrip(app, "schema", { ...base, someOtherKey: n, nullableKey: n });
      assert.ok(Object.is(req.someOtherKey, n), `someOtherKey ${n}`);
      assert.ok(Object.is(req.nullableKey, n), `nullableKey ${n}`);
    }
    const integers = [0, 1, -1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32 - 1, 2 ** 32, -(2 ** 32), 2 ** 53 - 1, -(2 ** 53 - 1)];
    const req = roundTrip(app, "schema", { ...base, requiredKey: integers, excitement: -(2 ** 31) });
    assert.deepEqual(req.requiredKey, integers);
    assert.equal(req.excitement, -(2 ** 31));
  });

  test("short strings read back exactly, whatever was read before them", async () => {
    // Short ASCII strings come from a table of recent strings (accessor-prelude.ts): 3000 strings
    // over its 256 slots, read twice in a shuffled order, meet every kind of collision.
    const app = await load("encore-schema");
    const base = { name: "", excitement: 1, foo: "", requiredKey: [], nullableKey: null, multipleTypesKey: true, multipleRestrictedTypesKey: 10, enumKey: "John" };
    const words = shortStrings(3000, 7);
    const requests = words.map((word, i) => roundTrip(app, "schema", { ...base, name: word, foo: words[(i * 7) % words.length]! }));
    for (const pass of [1, 2]) {
      for (const i of shuffled(words.length, pass)) {
        assert.equal(requests[i]!.name, words[i], `pass ${pass}, string ${i}`);
        assert.equal(requests[i]!.foo, words[(i * 7) % words.length], `pass ${pass}, string ${i}`);
      }
    }
  });

  test("every kind, null versus missing, unicode, big and negative numbers", async () => {
    const app = await load("kinds");
    const value = profile;
    const req = roundTrip(app, "saveProfile", JSON.parse(JSON.stringify(value)));
    assert.equal(req.email, value.email);
    assert.equal(req.website, undefined);
    assert.ok(req.born instanceof Date);
    assert.equal((req.born as Date).toISOString(), value.born);
    assert.equal(req.score, -1.25);
    assert.equal(req.count, 2 ** 53 - 1);
    assert.equal(req.status, "in-review");
    assert.equal(req.previous, null);
    assert.equal(req.flag, false, "false is present, not missing");
    assert.equal(req.limit, "auto");
    assert.equal(req.maybe, null);
    assert.equal(req.nickname, "");
    assert.deepEqual((req.address as { toJSON(): unknown }).toJSON(), address);
    assert.equal(req.address, req.address, "nested objects are cached");
    assert.ok(Array.isArray(req.addresses));
    assert.equal(Object.getPrototypeOf(req.labels), Object.prototype);
    assert.deepEqual(Object.keys(req.labels as object), ["a", "__proto__", ""]);
    assert.deepEqual(JSON.parse(JSON.stringify(req)), JSON.parse(JSON.stringify(value)));

    const other = roundTrip(app, "saveProfile", { ...JSON.parse(JSON.stringify(value)), limit: 7, previous: "active", billing: null, maybe: undefined, value: "v" });
    assert.equal(other.limit, 7);
    assert.equal(other.previous, "active");
    assert.equal(other.billing, null);
    assert.equal(other.maybe, undefined);
    assert.equal(other.value, "v");
  });

  test("accessors read through their memory, which may move and be released", async () => {
    const app = await load("kinds");
    const value = JSON.parse(JSON.stringify(profile));
    const { memory, start } = encodeRequest(app.manifest, "saveProfile", value);
    const req = app.generated.readPayload(app.generated.endpoints[0]!.Request!, memory, start);
    const address = req.address as Accessor; // a nested accessor made before the move
    assert.deepEqual(req.counters, value.counters, "read (and cached) before the move");

    // What Keel does to a request still pending when its ring slots are released: copy the
    // bytes elsewhere, update the memory, and let the old bytes be reused.
    const old = memory.bytes;
    const copy = new Uint8Array(old.length + 100);
    copy.set(old.subarray(memory.base), 50);
    Object.assign(memory, { bytes: copy, view: new DataView(copy.buffer), base: 50 });
    old.fill(0xee);
    assert.equal(address.city, "Zürich");
    assert.deepEqual(JSON.parse(JSON.stringify(req)), value);

    // Released: a read fails with a message, not with another request's bytes.
    memory.base = -(2 ** 31);
    assert.throws(() => req.email, /read after its handler finished/);
    assert.throws(() => address.street, /read after its handler finished/);
  });
});
