// Typed endpoints over real HTTP: every validation rule and kind, accepted and rejected. A
// rejected request is answered by Rust with 400 and the exact error body, and its handler is
// never called (test/typed/app.ts counts the calls).

import assert from "node:assert/strict";
import { describe, test } from "./harness.js";
import * as app from "./typed/app.js";
import { postJson, useTypedServer } from "./typed-support.js";

/** What Rust answers for an invalid body field. */
function invalid(field: string, rule: string, message: string) {
  return { code: "invalid_argument", message: `body${field === "" ? "" : "."}${field}: ${message}`, details: { field, source: "body", rule } };
}

describe("typed validation", () => {
  const typed = useTypedServer("test/typed/app.ts", app);

  /** Each accepted body reaches the handler, which echoes what its accessor read. */
  async function accepts(...bodies: object[]): Promise<void> {
    for (const body of bodies) {
      const before = app.calls.rules ?? 0;
      const res = await postJson(`${typed.base}/rules`, body);
      assert.equal(res.status, 200, `${JSON.stringify(body)}: ${await res.clone().text()}`);
      assert.deepEqual(await res.json(), body);
      assert.equal(app.calls.rules, before + 1);
    }
  }

  /** The body is refused with exactly `error`, and the handler is not called. */
  async function rejects(body: object | string | Uint8Array, error: object): Promise<void> {
    const before = app.calls.rules ?? 0;
    const res = await fetch(`${typed.base}/rules`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body),
    });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.deepEqual(await res.json(), error, JSON.stringify(body));
    assert.equal(app.calls.rules ?? 0, before, `the handler ran for ${JSON.stringify(body)}`);
  }

  test("Min and Max (numbers)", async () => {
    await accepts({ min: 10 }, { min: 1e9 }, { max: 100 }, { max: -5.5 });
    await rejects({ min: 9.99 }, invalid("min", "Min", "must be at least 10"));
    await rejects({ max: 100.5 }, invalid("max", "Max", "must be at most 100"));
  });

  test("MinLen and MaxLen on strings", async () => {
    await accepts({ minLen: "abc" }, { maxLen: "abcde" }, { maxLen: "" });
    await rejects({ minLen: "ab" }, invalid("minLen", "MinLen", "must be at least 3 characters long"));
    await rejects({ maxLen: "abcdef" }, invalid("maxLen", "MaxLen", "must be at most 5 characters long"));
  });

  test("MinLen and MaxLen on arrays", async () => {
    await accepts({ tagsMin: ["a"] }, { tagsMax: [] }, { tagsMax: ["a", "b"] });
    await rejects({ tagsMin: [] }, invalid("tagsMin", "MinLen", "must have at least 1 item"));
    await rejects({ tagsMax: ["a", "b", "c"] }, invalid("tagsMax", "MaxLen", "must have at most 2 items"));
  });

  test("MatchesRegexp, StartsWith, EndsWith", async () => {
    await accepts({ pattern: "abc-12" }, { prefix: "sk_live" }, { suffix: "cat.png" });
    await rejects({ pattern: "Abc-12" }, invalid("pattern", "MatchesRegexp", "must match /^[a-z]+-[0-9]+$/"));
    await rejects({ prefix: "pk_live" }, invalid("prefix", "StartsWith", 'must start with "sk_"'));
    await rejects({ suffix: "cat.jpg" }, invalid("suffix", "EndsWith", 'must end with ".png"'));
  });

  test("IsEmail and IsURL", async () => {
    await accepts({ email: "ada@example.com" }, { url: "https://example.com/a?b=c" });
    await rejects({ email: "ada@" }, invalid("email", "IsEmail", "must be an email address"));
    await rejects({ url: "example.com/a" }, invalid("url", "IsURL", "must be an absolute URL"));
  });

  test("integers", async () => {
    await accepts({ int: -3 }, { int: 0 }, { int: 2 ** 53 - 1 });
    await rejects({ int: 1.5 }, invalid("int", "type", "must be an integer"));
    await rejects('{"int":9007199254740993}', invalid("int", "type", "must be an integer"));
    await rejects({ int: "1" }, invalid("int", "type", "must be an integer"));
  });

  test("enums and literals", async () => {
    await accepts({ color: "red" }, { color: "green" }, { kind: "post" }, { version: 2 }, { flag: true });
    await rejects({ color: "blue" }, invalid("color", "type", 'must be one of "red", "green"'));
    await rejects({ kind: "page" }, invalid("kind", "type", 'must be "post"'));
    await rejects({ version: 3 }, invalid("version", "type", "must be 2"));
    await rejects({ flag: false }, invalid("flag", "type", "must be true"));
  });

  test("unions: the first variant that accepts, each with its own rules", async () => {
    await accepts({ either: "abc" }, { either: 5 }, { either: 0 });
    await rejects({ either: "abcd" }, invalid("either", "MaxLen", "must be at most 3 characters long"));
    await rejects({ either: -1 }, invalid("either", "Min", "must be at least 0"));
    await rejects({ either: true }, invalid("either", "type", "must be a string or a number"));
  });

  test("nested objects", async () => {
    await accepts({ nested: { name: "x" } }, { nested: { name: "x", tags: ["a", "b"] } });
    await rejects({ nested: { name: "" } }, invalid("nested.name", "MinLen", "must be at least 1 character long"));
    await rejects({ nested: {} }, invalid("nested.name", "required", "is required"));
    await rejects({ nested: "x" }, invalid("nested", "type", "must be an object"));
  });

  test("records", async () => {
    await accepts({ scores: {} }, { scores: { a: 1, "é k": 0 } });
    // A record key is always quoted in the path (docs/TYPED-APIS.md), unlike a field name.
    await rejects({ scores: { a: 1, b: -1 } }, invalid('scores["b"]', "Min", "must be at least 0"));
  });

  test("a key given twice, in an object or a record, is refused", async () => {
    await rejects('{"min":10,"min":11}', invalid("min", "json", "appears twice"));
    await rejects('{"scores":{"a":1,"b":2,"a":3}}', invalid('scores["a"]', "json", "appears twice"));
  });

  test("arrays check each element", async () => {
    await accepts({ list: [] }, { list: [0, 1, 2] });
    await rejects({ list: [0, 1, -2] }, invalid("list[2]", "Min", "must be at least 0"));
    await rejects({ list: [0, "1"] }, invalid("list[1]", "type", "must be an integer"));
  });

  test("dates (RFC 3339)", async () => {
    await accepts({ when: "2024-02-29T23:59:59.123Z" });
    await rejects({ when: "2024-02-30" }, invalid("when", "type", "must be an RFC 3339 date-time string"));
  });

  test("wrong types and broken JSON", async () => {
    await rejects({ min: "10" }, invalid("min", "type", "must be a number"));
    await rejects('{"min":', invalid("", "json", "is not valid JSON (EOF while parsing a value at line 1 column 7)"));
    // "café" in Latin-1: the é is the single byte 0xe9 at offset 14, which is not UTF-8.
    const latin1 = Uint8Array.from([...'{"minLen":"caf'].map((c) => c.charCodeAt(0)).concat([0xe9, 0x22, 0x7d]));
    await rejects(latin1, invalid("", "json", "is not valid JSON (not UTF-8 at byte 14)"));
  });
});
