// The typed examples, served over real HTTP: the Encore.ts benchmark request on
// examples/schema, and the blog's endpoints on examples/blog.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as blog from "../examples/blog/app.js";
import * as schema from "../examples/schema/app.js";
import { describe, test } from "./harness.js";
import { json, repoRoot } from "./support.js";
import { postJson, useTypedServer } from "./typed-support.js";

/** The benchmark's request, as the benchmark sends it. */
const ENCORE = JSON.parse(readFileSync(join(repoRoot, "examples", "schema", "request.json"), "utf8")) as {
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
};
const ENCORE_BODY = ENCORE.body;

describe("examples/schema: the Encore.ts benchmark request", () => {
  const typed = useTypedServer("examples/schema/app.ts", schema);
  const url = () => `${typed.base}/schema?name=test&excitement=123`;

  test("is answered with the body, query and header it carried", async () => {
    const res = await postJson(`${typed.base}${ENCORE.path}`, ENCORE_BODY, ENCORE.headers);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { body: ENCORE_BODY, query: { name: "test", excitement: 123 }, header: { foo: "test" } });
  });

  test("other variants of the union, the enum and the optional fields", async () => {
    const body = { requiredKey: [], nullableKey: -1.5, multipleTypesKey: 0, multipleRestrictedTypesKey: 10, enumKey: "Foo" };
    const res = await postJson(url(), body, { "x-foo": "t" });
    assert.deepEqual(await res.json(), { body, query: { name: "test", excitement: 123 }, header: { foo: "t" } });
  });

  test("each broken rule is refused by Rust", async () => {
    const cases: Array<[string, object, Record<string, string>, object]> = [
      [url(), { ...ENCORE_BODY, requiredKey: [1, 2, 3, 4] }, { "x-foo": "t" }, { field: "requiredKey", source: "body", rule: "MaxLen" }],
      [url(), { ...ENCORE_BODY, requiredKey: [1.5] }, { "x-foo": "t" }, { field: "requiredKey[0]", source: "body", rule: "type" }],
      [url(), { ...ENCORE_BODY, requiredKey: undefined }, { "x-foo": "t" }, { field: "requiredKey", source: "body", rule: "required" }],
      [url(), { ...ENCORE_BODY, multipleRestrictedTypesKey: "toolong" }, { "x-foo": "t" }, { field: "multipleRestrictedTypesKey", source: "body", rule: "MaxLen" }],
      [url(), { ...ENCORE_BODY, multipleRestrictedTypesKey: 9 }, { "x-foo": "t" }, { field: "multipleRestrictedTypesKey", source: "body", rule: "Min" }],
      [url(), { ...ENCORE_BODY, enumKey: "Bar" }, { "x-foo": "t" }, { field: "enumKey", source: "body", rule: "type" }],
      [url(), { ...ENCORE_BODY, multipleTypesKey: "yes" }, { "x-foo": "t" }, { field: "multipleTypesKey", source: "body", rule: "type" }],
      [url(), ENCORE_BODY, {}, { field: "foo", source: "header", rule: "required" }],
      [`${typed.base}/schema?name=test&excitement=1.5`, ENCORE_BODY, { "x-foo": "t" }, { field: "excitement", source: "query", rule: "type" }],
      [`${typed.base}/schema?excitement=1`, ENCORE_BODY, { "x-foo": "t" }, { field: "name", source: "query", rule: "required" }],
    ];
    for (const [target, body, headers, details] of cases) {
      const res = await postJson(target, body, headers);
      assert.equal(res.status, 400, JSON.stringify(body));
      const error = await json(res);
      assert.equal(error.code, "invalid_argument");
      assert.deepEqual(error.details, details, JSON.stringify(body));
    }
  });
});

describe("examples/blog", () => {
  const typed = useTypedServer("examples/blog/app.ts", blog);
  const post = { title: "Hello", body: "First post", author: { name: "Ada", email: "ada@example.com" }, tags: ["intro"] };

  test("create, read, list, delete", async () => {
    const created = await postJson(`${typed.base}/posts`, post, { cookie: "session=s-1" });
    assert.equal(created.status, 201);
    const { id, publishedAt, ...rest } = await json(created);
    assert.equal(created.headers.get("location"), `/posts/${id}`);
    assert.deepEqual(rest, post);
    assert.ok(!Number.isNaN(Date.parse(publishedAt)));

    const read = await fetch(`${typed.base}/posts/${id}`, { headers: { "x-request-id": "r-7" } });
    assert.equal(read.headers.get("x-request-id"), "r-7");
    assert.equal((await json(read)).title, "Hello");
    const listed = await json(await fetch(`${typed.base}/posts?tag=intro&limit=1`));
    assert.deepEqual(listed.posts.map((p: { id: number }) => p.id), [id]);

    const denied = await fetch(`${typed.base}/posts/${id}`, { method: "DELETE", headers: { authorization: "Bearer guest" } });
    assert.equal(denied.status, 403);
    const deleted = await fetch(`${typed.base}/posts/${id}`, { method: "DELETE", headers: { authorization: "Bearer admin" } });
    assert.equal(deleted.status, 200);
    assert.equal((await fetch(`${typed.base}/posts/${id}`)).status, 404);
  });

  test("invalid input never reaches a handler", async () => {
    const refused: Array<[Promise<Response>, string]> = [
      [fetch(`${typed.base}/posts/0`), "path.id: must be at least 1"],
      [fetch(`${typed.base}/posts?limit=500`), "query.limit: must be at most 100"],
      [postJson(`${typed.base}/posts`, post), "cookie.session: is required"],
      [postJson(`${typed.base}/posts`, { ...post, author: { name: "Ada", email: "ada" } }, { cookie: "session=s-1" }), "body.author.email: must be an email address"],
      [postJson(`${typed.base}/posts`, { ...post, tags: ["a", "b", "c", "d", "e", "f"] }, { cookie: "session=s-1" }), "body.tags: must have at most 5 items"],
    ];
    for (const [response, message] of refused) {
      const res = await response;
      assert.equal(res.status, 400);
      assert.equal((await json(res)).message, message);
    }
  });
});
