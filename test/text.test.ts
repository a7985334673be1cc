// The decoders of fields read from the ring (bindings/core/text.ts), against the standard ones:
// short strings come from a table of recent strings, which must never answer for other bytes.

import assert from "node:assert/strict";
import { decodeLatin1, decodeUtf8, encodeUtf8Into } from "../bindings/core/text.js";
import { describe, test } from "./harness.js";
import { shortStrings, shuffled } from "./random-strings.js";

const utf8 = new TextEncoder();
const standardUtf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/** Each string's bytes (UTF-8, or one byte per code unit below 256 for Latin-1) in one buffer. */
function layOut(texts: string[], encode: (text: string) => Uint8Array): { bytes: Uint8Array; spans: Array<[number, number]> } {
  const parts = texts.map(encode);
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length + 3, 0));
  const spans: Array<[number, number]> = [];
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at + 3); // unaligned, with stray bytes between
    spans.push([at + 3, part.length]);
    at += part.length + 3;
  }
  return { bytes, spans };
}

const latin1Bytes = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0) & 0xff);

describe("field decoding", () => {
  test("UTF-8 and Latin-1 fields decode as the standard decoders do, in any order", () => {
    const texts = shortStrings(3000, 11);
    const asUtf8 = layOut(texts, (text) => utf8.encode(text));
    const asLatin1 = layOut(texts, latin1Bytes);
    for (const pass of [1, 2]) {
      for (const i of shuffled(texts.length, pass)) {
        const [start, len] = asUtf8.spans[i]!;
        assert.equal(decodeUtf8(asUtf8.bytes, start, len), standardUtf8.decode(asUtf8.bytes.subarray(start, start + len)), `UTF-8 ${i}`);
        const [from, count] = asLatin1.spans[i]!;
        const expected = String.fromCharCode(...asLatin1.bytes.subarray(from, from + count));
        assert.equal(decodeLatin1(asLatin1.bytes, from, count), expected, `Latin-1 ${i}`);
      }
    }
  });

  test("a Latin-1 string is never the answer for UTF-8 bytes, nor one for bytes that only look alike", () => {
    const cafeLatin1 = latin1Bytes("caf\u00e9");
    assert.equal(decodeLatin1(cafeLatin1, 0, 4), "caf\u00e9");
    assert.equal(decodeUtf8(cafeLatin1, 0, 4), "caf\ufffd");
    const cafeUtf8 = utf8.encode("caf\u00e9");
    assert.equal(decodeUtf8(cafeUtf8, 0, 5), "caf\u00e9");
    assert.equal(decodeLatin1(cafeUtf8, 0, 5), "caf\u00c3\u00a9");
    const bom = utf8.encode("\ufeffid");
    assert.equal(decodeUtf8(bom, 0, bom.length), "\ufeffid");
    assert.equal(decodeUtf8(new Uint8Array(0), 0, 0), "");
  });

  test("encodeUtf8Into writes what TextEncoder writes, and reports a text that does not fit", () => {
    const texts = [...shortStrings(300, 5), "a\ud800b", "\udc00", "x\ud83d", "é🚀".repeat(50), JSON.stringify({ text: "—".repeat(100) })];
    const out = new Uint8Array(1024);
    for (const text of texts) {
      const expected = utf8.encode(text);
      for (const start of [0, 3]) {
        out.fill(0xaa);
        assert.equal(encodeUtf8Into(out, text, start, start + expected.length), expected.length, `exact room: ${JSON.stringify(text)}`);
        assert.deepEqual(out.subarray(start, start + expected.length), expected);
        assert.equal(out[start + expected.length], 0xaa, "nothing written past the text");
        for (const short of [1, 2, 3, 4, 5]) {
          if (expected.length >= short) assert.equal(encodeUtf8Into(out, text, start, start + expected.length - short), -1, `${short} bytes short: ${JSON.stringify(text)}`);
        }
      }
    }
  });
});
