// The cross-check: payloads built by the Rust runtime from real HTTP requests are read twice,
// with the TypeScript that flatc generates from the emitted app.fbs and with Keel's own
// accessors, and both must give the values that were sent.
//
// flatc's TypeScript imports without file extensions, which Node's ESM loader refuses, and Node
// 20 cannot run TypeScript; so on both runtimes the flatc output is transpiled to CommonJS with
// @swc/core (already a dependency of the generator) and loaded with require(). One path, the
// same on Bun and Node. Without flatc installed the test says so and passes, as the codegen
// flatc tests do.

import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { transformSync } from "@swc/core";
import { flatc, runFlatc } from "../codegen/test/support.js";
import { describe, test } from "./harness.js";
import { repoRoot } from "./support.js";
import * as app from "./typed/app.js";
import { postJson, useTypedServer } from "./typed-support.js";

// flatc's generated classes, as far as this test uses them.
/* eslint-disable @typescript-eslint/no-explicit-any */
type FlatTable = any;

interface Captured {
  id: number;
  q: string;
  trace: string;
  session: string;
  title: string;
  count: number;
  ratio: number;
  ok: boolean;
  color: string;
  either: string | number;
  maybe: number | null;
  missing: string | undefined;
  ids: number[];
  names: string[];
  author: { name: string; email: string | undefined };
  labels: Record<string, string>;
  when: string;
}

/**
 * Runs flatc --ts on app.fbs into <generated>/flatc (removed with the generated folder) and
 * makes its output loadable with require() (see the header).
 */
function compileFlatc(generated: string): NodeRequire {
  const out = join(generated, "flatc");
  const { status, output } = runFlatc(["--ts", "-o", out, "app.fbs"], generated);
  assert.equal(status, 0, output);
  const transpile = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) transpile(path);
      else if (entry.name.endsWith(".ts")) {
        const { code } = transformSync(readFileSync(path, "utf8"), {
          filename: path,
          jsc: { parser: { syntax: "typescript" }, target: "es2020" },
          module: { type: "commonjs" },
        });
        writeFileSync(path.replace(/\.ts$/, ".js"), code);
      }
    }
  };
  transpile(out);
  writeFileSync(join(out, "package.json"), '{ "type": "commonjs" }\n');
  mkdirSync(join(out, "node_modules"));
  symlinkSync(join(repoRoot, "node_modules", "flatbuffers"), join(out, "node_modules", "flatbuffers"), "dir");
  return createRequire(join(out, "index.js"));
}

/** Reads a Capture payload with flatc's generated code into the values a handler would see. */
function readWithFlatc(require: NodeRequire, bytes: Uint8Array, enumValues: readonly string[]): Captured {
  const { ByteBuffer } = require("flatbuffers");
  const { Capture } = require("./keel/app/capture.js");
  const { CaptureEither, unionToCaptureEither } = require("./keel/app/capture-either.js");
  const root: FlatTable = Capture.getRootAsCapture(new ByteBuffer(bytes));
  const author: FlatTable = root.author();
  const labels: Record<string, string> = {};
  for (let i = 0; i < root.labelsLength(); i++) labels[root.labels(i).key()] = root.labels(i).value();
  const either: FlatTable = unionToCaptureEither(root.eitherType(), (obj: FlatTable) => root.either(obj));
  assert.ok(root.eitherType() === CaptureEither.KeelString || root.eitherType() === CaptureEither.KeelDouble);
  return {
    id: Number(root.id()),
    q: root.q(),
    trace: root.trace(),
    session: root.session(),
    title: root.title(),
    count: Number(root.count()),
    ratio: root.ratio(),
    ok: root.ok(),
    color: enumValues[root.color()]!,
    either: either.value(),
    maybe: root.maybe_null() ? null : root.maybe(),
    missing: root.missing() ?? undefined,
    ids: Array.from({ length: root.idsLength() }, (_, i) => Number(root.ids(i))),
    names: Array.from({ length: root.namesLength() }, (_, i) => root.names(i)),
    author: { name: author.name(), email: author.email() ?? undefined },
    labels,
    when: root.when(),
  };
}

/** Reads the same payload with Keel's generated accessors. */
function readWithKeel(accessors: any, bytes: Uint8Array): Captured {
  const Capture = accessors.endpoints.find((e: { name: string }) => e.name === "capture").Request;
  const req = accessors.readPayload(Capture, { bytes, view: new DataView(bytes.buffer, bytes.byteOffset), base: 0 }, 0);
  const { author } = req;
  return {
    id: req.id,
    q: req.q,
    trace: req.trace,
    session: req.session,
    title: req.title,
    count: req.count,
    ratio: req.ratio,
    ok: req.ok,
    color: req.color,
    either: req.either,
    maybe: req.maybe,
    missing: req.missing,
    ids: req.ids,
    names: req.names,
    author: { name: author.name, email: author.email },
    labels: { ...req.labels },
    when: req.when.toISOString(),
  };
}

describe("flatc reads what Rust built as Keel's accessors do", () => {
  const typed = useTypedServer("test/typed/app.ts", app);

  test("two requests of every kind and source", async () => {
    if (!flatc) {
      console.warn("SKIPPED: flatc is not installed (apt-get install flatbuffers-compiler)");
      return;
    }
    const require = compileFlatc(typed.manifest);
    const accessors = await import(pathToFileURL(join(typed.manifest, "accessors.js")).href);
    const manifest = JSON.parse(readFileSync(join(typed.manifest, "manifest.json"), "utf8"));
    const capture = manifest.types[manifest.endpoints.find((e: { name: string }) => e.name === "capture").request];
    const colors: string[] = manifest.types[capture.fields.find((f: { name: string }) => f.name === "color").type].enum_values;

    const first = {
      title: "Grüße 🚀",
      count: -(2 ** 53 - 1),
      ratio: -0.5,
      ok: false,
      color: "green",
      either: 12.25,
      maybe: null,
      ids: [1, -2, 2 ** 53 - 1],
      names: ["a", "ü", ""],
      author: { name: "Ada" },
      labels: { x: "1", "": "empty" },
      when: "2024-02-29T23:59:59.123Z",
    };
    const second = {
      title: "",
      count: 0,
      ratio: 1e300,
      ok: true,
      color: "red",
      either: "text",
      maybe: 0,
      missing: "here",
      ids: [],
      names: ["日本語のテキスト".repeat(10)],
      author: { name: "Émile", email: "e@example.com" },
      labels: {},
      when: "1970-01-01T00:00:00.000Z",
    };
    // What a handler must see: the body, plus the path, query, header and cookie fields.
    const sent: Array<{ path: string; headers: Record<string, string>; body: object; expected: Captured }> = [
      {
        path: "/capture/-42?q=qu%C3%A9ry",
        headers: { "x-trace": "t-1", cookie: "session=s-9" },
        body: first,
        expected: { id: -42, q: "quéry", trace: "t-1", session: "s-9", missing: undefined, ...first, author: { name: "Ada", email: undefined } },
      },
      {
        path: "/capture/7?q=",
        headers: { "x-trace": "", cookie: "a=b; session=" },
        body: second,
        expected: { id: 7, q: "", trace: "", session: "", ...second },
      },
    ];
    for (const { path, headers, body, expected } of sent) {
      const before = app.captured.length;
      const res = await postJson(`${typed.base}${path}`, body, headers);
      assert.equal(res.status, 200, await res.text());
      assert.equal(app.captured.length, before + 1);
      const bytes = app.captured[before]!;
      assert.deepEqual(readWithFlatc(require, bytes, colors), expected, `flatc, ${path}`);
      assert.deepEqual(readWithKeel(accessors, bytes), expected, `Keel, ${path}`);
    }
  }, 60_000);
});
