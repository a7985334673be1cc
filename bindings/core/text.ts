// Byte → string decoding for fields read out of shared memory.
//
// Most of what crosses the ring is short ASCII (methods, paths, header names and values), and
// building such a string from char codes is cheaper than a TextDecoder call, so both decoders
// take that path first and fall back only when they meet a byte the fast path cannot handle.

const utf8Decoder = new TextDecoder();

/** Strings at most this long are tried with the char-code loop before TextDecoder. */
const SHORT_STRING = 64;

/** Decodes `len` bytes of UTF-8 starting at `start` (invalid sequences become U+FFFD). */
export function decodeUtf8(bytes: Uint8Array, start: number, len: number): string {
  if (len <= SHORT_STRING) {
    let text = "";
    const end = start + len;
    for (let i = start; i < end; i++) {
      const byte = bytes[i]!;
      if (byte >= 0x80) return utf8Decoder.decode(bytes.subarray(start, end));
      text += String.fromCharCode(byte);
    }
    return text;
  }
  return utf8Decoder.decode(bytes.subarray(start, start + len));
}

/**
 * Decodes `len` bytes as Latin-1, one byte per UTF-16 code unit: the Fetch "ByteString"
 * reading of header values. It is lossless, so a value echoed back into a response header
 * reproduces the bytes received. (TextDecoder("latin1") is windows-1252, hence the loop.)
 */
export function decodeLatin1(bytes: Uint8Array, start: number, len: number): string {
  if (len <= SHORT_STRING) {
    let text = "";
    for (let i = start, end = start + len; i < end; i++) text += String.fromCharCode(bytes[i]!);
    return text;
  }
  const parts: string[] = [];
  const CHUNK = 8192; // bounded so that apply() never meets the engine's argument limit
  for (let at = start, end = start + len; at < end; at += CHUNK) {
    const chunk = bytes.subarray(at, Math.min(at + CHUNK, end));
    parts.push(String.fromCharCode.apply(null, chunk as unknown as number[]));
  }
  return parts.join("");
}

/** Whether the bytes at `start` spell `ascii` exactly (`ascii` holds only code units < 0x80). */
export function bytesEqualAscii(bytes: Uint8Array, start: number, len: number, ascii: string): boolean {
  if (len !== ascii.length) return false;
  for (let i = 0; i < len; i++) {
    if (bytes[start + i] !== ascii.charCodeAt(i)) return false;
  }
  return true;
}
