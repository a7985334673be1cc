// Do generated per-type JSON serializers beat JSON.stringify for typed responses?
//
//   node perf/serializers.mjs        bun perf/serializers.mjs
//
// Each candidate turns the same response objects into the same JSON text; the serializers are
// written the way `keel gen` would emit them from the model (known keys in order, optional
// fields checked, strings escaped only when they need it, numbers via String()). The result
// decides whether the generator should emit them; docs/ARCHITECTURE.md records it.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

// ---------------------------------------------------------------------------------------------
// Workloads: the Encore benchmark reply (examples/schema) and a blog post (examples/blog).

// The reply is what examples/schema answers: the body, query and header it was sent.
const request = JSON.parse(readFileSync(new URL("../examples/schema/request.json", import.meta.url), "utf8"));
const schemaReply = { body: request.body, query: { name: "test", excitement: 123 }, header: { foo: "test" } };

const post = {
  id: 42,
  title: "Typed endpoints in Keel",
  body: "Rust decodes and validates the request; the handler reads it lazily. ".repeat(8),
  author: { name: "Ada Lovelace", email: "ada@example.com" },
  tags: ["rust", "typescript", "performance"],
  publishedAt: new Date("2026-11-21T12:00:00Z"),
};

// ---------------------------------------------------------------------------------------------
// What a generated serializer would look like.

// Characters JSON must escape, and lone surrogates (JSON.stringify writes them as \u escapes).
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function string(s) {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

function number(n) {
  return Number.isFinite(n) ? String(n) : "null";
}

function numbers(list) {
  let out = "[";
  for (let i = 0; i < list.length; i++) out += (i === 0 ? "" : ",") + number(list[i]);
  return out + "]";
}

function strings(list) {
  let out = "[";
  for (let i = 0; i < list.length; i++) out += (i === 0 ? "" : ",") + string(list[i]);
  return out + "]";
}

function schemaBody(o) {
  let out = "{";
  if (o.someKey !== undefined) out += `"someKey":${string(o.someKey)},`;
  if (o.someOtherKey !== undefined) out += `"someOtherKey":${number(o.someOtherKey)},`;
  out += `"requiredKey":${numbers(o.requiredKey)}`;
  out += `,"nullableKey":${o.nullableKey === null ? "null" : number(o.nullableKey)}`;
  const m = o.multipleTypesKey;
  out += `,"multipleTypesKey":${typeof m === "boolean" ? String(m) : number(m)}`;
  const r = o.multipleRestrictedTypesKey;
  out += `,"multipleRestrictedTypesKey":${typeof r === "string" ? string(r) : number(r)}`;
  return `${out},"enumKey":${string(o.enumKey)}}`;
}

function generatedSchemaReply(o) {
  return (
    `{"body":${schemaBody(o.body)}` +
    `,"query":{"name":${string(o.query.name)},"excitement":${number(o.query.excitement)}}` +
    `,"header":{"foo":${string(o.header.foo)}}}`
  );
}

function generatedPost(o) {
  return (
    `{"id":${number(o.id)},"title":${string(o.title)},"body":${string(o.body)}` +
    `,"author":{"name":${string(o.author.name)},"email":${string(o.author.email)}}` +
    `,"tags":${strings(o.tags)},"publishedAt":"${o.publishedAt.toISOString()}"}`
  );
}

// ---------------------------------------------------------------------------------------------

// The real response writer (Bun runs the sources, Node their build: npm run build:ts), with a
// sink that drops the frames: each response is serialized and then written as Keel writes it.
// That matters: a serializer that builds its text by concatenation leaves a rope that is only
// flattened when written, so timing the serializer alone flatters it.
const { ResponseWriter } = await import("Bun" in globalThis ? "../bindings/core/response.ts" : "../dist/bindings/core/response.js");
const writer = new ResponseWriter(new ArrayBuffer(1 << 20), { commit: () => 0, respond: () => 0 });

let sink = 0;

/** Median ns per response (serialize, write, flush) over several timed rounds, after a warm-up. */
function measure(fn, value) {
  const rounds = [];
  for (let round = 0; round < 12; round++) {
    const n = 200_000;
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const json = fn(value);
      sink += json.length;
      writer.write(i, 0, 200, undefined, json, "application/json");
      if ((i & 63) === 63) writer.flush();
    }
    const ns = Number(process.hrtime.bigint() - start) / n;
    if (round >= 2) rounds.push(ns); // the first rounds warm the JIT up
  }
  rounds.sort((a, b) => a - b);
  return rounds[rounds.length >> 1];
}

const runtime = "Bun" in globalThis ? `Bun ${Bun.version}` : `Node ${process.version}`;
console.log(`${runtime}: ns per response, median of 10 rounds of 200k`);
for (const [name, value, generated] of [
  ["schema reply (Encore benchmark)", schemaReply, generatedSchemaReply],
  ["blog post", post, generatedPost],
]) {
  assert.equal(generated(value), JSON.stringify(value), `${name}: the generated serializer must write the same JSON`);
  const stringify = measure(JSON.stringify, value);
  const custom = measure(generated, value);
  console.log(
    `  ${name.padEnd(32)} JSON.stringify ${stringify.toFixed(0).padStart(5)}   generated ${custom.toFixed(0).padStart(5)}   ratio ${(stringify / custom).toFixed(2)}x`,
  );
}
if (sink === 0) console.log(""); // keep the results alive
