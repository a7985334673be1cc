// ResponseWriter.writeJson (bindings/core/response.ts): a typed reply written by a JsonWriter
// straight into the response buffer — behind other frames, after a commit when the buffer is
// full, in memory of its own when it is larger than the buffer — and nothing at all when the
// writer declines the value.

import assert from "node:assert/strict";
import { JsonOut, type JsonWriter } from "../bindings/core/json-out.js";
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

/** `,"text":`, written as the generated writers write a property name (and its comma). */
function keyText(out: JsonOut): void {
  const bytes = new TextEncoder().encode(',"text":');
  if (out.pos + bytes.length > out.limit) return out.overflow();
  out.bytes.set(bytes, out.pos);
  out.pos += bytes.length;
}

/** The writer `keel gen` would generate for `{ text: string }`. */
const writeText: JsonWriter = (out: JsonOut, value: unknown) => {
  if (typeof value !== "object" || value === null || Object.keys(value).join() !== "text") return false;
  const text = (value as { text: unknown }).text;
  if (typeof text !== "string") return false;
  const open = out.pos;
  keyText(out);
  out.string(text);
  out.endObject(open);
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

  test("an object's first comma becomes its brace; with no property it is {}", () => {
    const write = (room: number, properties: number): string | null => {
      const bytes = new Uint8Array(64).fill(0x2e);
      const out = new JsonOut();
      out.start(bytes, new DataView(bytes.buffer), 2, 2 + room);
      const open = out.pos;
      for (let i = 0; i < properties; i++) {
        keyText(out);
        out.string(`t${i}`);
      }
      out.endObject(open);
      assert.ok(bytes.subarray(2 + room).every((b) => b === 0x2e), `room ${room}: nothing is written past the limit`);
      return out.fits ? new TextDecoder().decode(bytes.subarray(2, out.pos)) : null;
    };
    assert.equal(write(64 - 2, 0), "{}");
    assert.equal(write(64 - 2, 1), '{"text":"t0"}');
    assert.equal(write(64 - 2, 2), '{"text":"t0","text":"t1"}');
    assert.equal(write(2, 0), "{}");
    assert.equal(write(1, 0), null);
    assert.equal(write(13, 1), '{"text":"t0"}');
    assert.equal(write(12, 1), null);
  });

  test("a bad status or header is refused like any response's", () => {
    const { writer } = recordingWriter(4096);
    assert.throws(() => writer.writeJson(1, 0, 99, undefined, { text: "t" }, writeText), /status must be an integer from 200 to 599/);
    assert.throws(() => writer.writeJson(1, 0, 200, [["bad name", "v"]], { text: "t" }, writeText), /not a valid HTTP token/);
  });
});
