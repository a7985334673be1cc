// ResponseWriter.writeJson (bindings/core/response.ts): a typed reply written by a JsonWriter
// straight into the response buffer — behind other frames, after a commit when the buffer is
// full, in memory of its own when it is larger than the buffer — and nothing at all when the
// writer declines the value.

import assert from "node:assert/strict";
import { JsonOut, type JsonWriter, type KnownKey, type PackedBytes } from "../bindings/core/json-out.js";
import { ResponseWriter } from "../bindings/core/response.js";
import { describe, test } from "./harness.js";

interface Frame {
  status: number;
  idLow: number;
  headers: Array<[string, string]>;
  body: string;
}

/** The frames in `bytes` (8-byte aligned, as the writer lays them out). */
function frames(bytes: Uint8Array): Frame[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = (at: number, len: number) => String.fromCharCode(...bytes.subarray(at, at + len));
  const out: Frame[] = [];
  for (let at = 0; at < bytes.length; ) {
    const len = view.getUint32(at, true);
    const headers: Array<[string, string]> = [];
    let p = at + 24;
    for (let i = view.getUint16(at + 6, true); i > 0; i--) {
      const nameLen = view.getUint16(p, true);
      const valueLen = view.getUint16(p + 2, true);
      headers.push([latin1(p + 4, nameLen), latin1(p + 4 + nameLen, valueLen)]);
      p += 4 + nameLen + valueLen;
    }
    const bodyLen = view.getUint32(at + 16, true);
    out.push({ status: view.getUint16(at + 4, true), idLow: view.getUint32(at + 8, true), headers, body: new TextDecoder().decode(bytes.subarray(at + len - bodyLen, at + len)) });
    at += (len + 7) & ~7;
  }
  return out;
}

/** A writer over a small buffer whose commits and own frames are recorded as decoded frames. */
function recordingWriter(bufferBytes: number) {
  const buffer = new ArrayBuffer(bufferBytes);
  const committed: Frame[][] = [];
  const ownFrames: Frame[] = [];
  const writer = new ResponseWriter(buffer, {
    commit: (bytes) => committed.push(frames(new Uint8Array(buffer, 0, bytes))),
    respond: (frame) => ownFrames.push(...frames(frame)),
  });
  return { writer, committed, ownFrames };
}

/** `text` as JsonOut.key takes it: little-endian words, then the bytes after them. */
function packed(text: string): PackedBytes {
  const bytes = new TextEncoder().encode(text);
  const view = new DataView(bytes.buffer);
  const words: number[] = [];
  let at = 0;
  for (; at + 4 <= bytes.length; at += 4) words.push(view.getUint32(at, true));
  return { words, tail: [...bytes.subarray(at)], length: bytes.length };
}

const KEY_TEXT: KnownKey = { comma: packed(',"text":'), bare: packed('"text":') };

/** The writer `keel gen` would generate for `{ text: string }`. */
const writeText: JsonWriter = (out: JsonOut, value: unknown) => {
  if (typeof value !== "object" || value === null || Object.keys(value).join() !== "text") return false;
  const text = (value as { text: unknown }).text;
  if (typeof text !== "string") return false;
  out.byte(0x7b);
  out.key(KEY_TEXT, true);
  out.string(text);
  out.byte(0x7d);
  return true;
};

describe("typed replies in the response buffer", () => {
  test("written behind earlier frames, with the status and headers given", () => {
    const { writer, committed } = recordingWriter(4096);
    writer.write(1, 0, 200, undefined, "first", null);
    assert.equal(writer.writeJson(2, 0, 201, [["x-a", "1"]], { text: 'ü "q"' }, writeText), true);
    writer.flush();
    assert.deepEqual(committed, [
      [
        { status: 200, idLow: 1, headers: [], body: "first" },
        { status: 201, idLow: 2, headers: [["x-a", "1"], ["content-type", "application/json"]], body: '{"text":"ü \\"q\\""}' },
      ],
    ]);
  });

  test("a full buffer is committed first, then the reply starts it again", () => {
    const { writer, committed } = recordingWriter(512);
    const text = "x".repeat(300);
    assert.equal(writer.writeJson(1, 0, 200, undefined, { text }, writeText), true);
    assert.equal(writer.writeJson(2, 0, 200, undefined, { text }, writeText), true);
    writer.flush();
    assert.deepEqual(
      committed.map((batch) => batch.map((f) => [f.idLow, f.body])),
      [[[1, JSON.stringify({ text })]], [[2, JSON.stringify({ text })]]],
    );
  });

  test("a reply larger than the buffer goes out in memory of its own", () => {
    const { writer, committed, ownFrames } = recordingWriter(1024);
    const text = "🚀 long ".repeat(2000);
    writer.write(1, 0, 200, undefined, "before", null);
    assert.equal(writer.writeJson(2, 0, 200, undefined, { text }, writeText), true);
    writer.flush();
    assert.deepEqual(ownFrames.map((f) => [f.idLow, f.body]), [[2, JSON.stringify({ text })]]);
    assert.deepEqual(committed.flat().map((f) => f.idLow), [1], "the frame before it is committed once");
  });

  test("a declined value writes nothing, whatever room was left", () => {
    for (const bufferBytes of [4096, 64]) {
      const { writer, committed, ownFrames } = recordingWriter(bufferBytes);
      writer.write(1, 0, 200, undefined, "kept", null);
      assert.equal(writer.writeJson(2, 0, 200, [["x-long", "v".repeat(40)]], { text: 1 }, writeText), false);
      assert.equal(writer.writeJson(3, 0, 200, undefined, { text: "t", extra: 1 }, writeText), false);
      writer.flush();
      assert.deepEqual(ownFrames, []);
      assert.deepEqual(committed.flat().map((f) => f.idLow), [1], `buffer of ${bufferBytes} bytes`);
    }
  });

  test("a bad status or header is refused like any response's", () => {
    const { writer } = recordingWriter(4096);
    assert.throws(() => writer.writeJson(1, 0, 99, undefined, { text: "t" }, writeText), /status must be an integer from 200 to 599/);
    assert.throws(() => writer.writeJson(1, 0, 200, [["bad name", "v"]], { text: "t" }, writeText), /not a valid HTTP token/);
  });
});
