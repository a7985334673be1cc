// The helpers every generated accessors.js starts with. Plain JavaScript, no imports, so the
// generated module runs as it is on Bun and on Node.
//
// A table is read through its vtable: the int32 at the table's position is the distance back to
// the vtable, whose uint16s are [vtable size, table size, offset of field 0, field 1, …]; an
// offset of 0 (or a field id past the vtable's end) means the field is absent.

export const ACCESSOR_PRELUDE = `// A string field's bytes are data: a leading U+FEFF is kept.
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
// Buffer's native slicer (Bun and Node) takes any Uint8Array and beats TextDecoder on short text.
const utf8Slice = typeof globalThis.Buffer?.prototype.utf8Slice === "function" ? globalThis.Buffer.prototype.utf8Slice : undefined;
// On V8 (Node) joining char codes beats the native call up to 8 bytes; on JSC (Bun) it never does.
const CHAR_LOOP_MAX = "Bun" in globalThis ? 0 : 8;
// Short ASCII strings repeat across requests (enum members, names, codes): those of at most
// RECENT_MAX bytes are served from a table of recent strings, found by a hash of their bytes and
// returned when they spell the bytes exactly (the runtime's text.ts does the same for its fields).
const RECENT_MAX = 24;
const RECENT_SLOTS = 256;
const recent = new Array(RECENT_SLOTS).fill(undefined);

/**
 * Byte offset of field \`id\` from the table's start; 0 when it is absent. Every getter starts
 * here, so this is where a released memory (negative base, hence negative table) is caught.
 */
function slot(view, table, id) {
  if (table < 0) throw released();
  const vtable = table - view.getInt32(table, true);
  const at = 4 + 2 * id;
  return at < view.getUint16(vtable, true) ? view.getUint16(vtable + at, true) : 0;
}

/** The table, string or vector that the uoffset at \`at\` points to. */
function deref(view, at) {
  return at + view.getUint32(at, true);
}

/** A string (uint32 length, then UTF-8 bytes); invalid sequences become U+FFFD. */
function string(bytes, view, at) {
  const start = deref(view, at);
  const length = view.getUint32(start, true);
  const from = start + 4;
  if (length > RECENT_MAX) return decodeNatively(bytes, from, length);
  let hash = length;
  for (let i = from, end = from + length; i < end; i++) {
    const byte = bytes[i];
    if (byte >= 0x80) return decodeNatively(bytes, from, length);
    hash = (Math.imul(hash, 31) + byte) | 0;
  }
  const slot = hash & (RECENT_SLOTS - 1);
  const seen = recent[slot];
  if (seen !== undefined && spells(bytes, from, length, seen)) return seen;
  const text = length <= CHAR_LOOP_MAX ? joinAscii(bytes, from, length) : decodeNatively(bytes, from, length);
  recent[slot] = text;
  return text;
}

/** Whether the bytes equal the text's code units one for one. */
function spells(bytes, from, length, text) {
  if (text.length !== length) return false;
  for (let i = 0; i < length; i++) if (bytes[from + i] !== text.charCodeAt(i)) return false;
  return true;
}

function joinAscii(bytes, from, length) {
  let text = "";
  for (let i = from, end = from + length; i < end; i++) text += String.fromCharCode(bytes[i]);
  return text;
}

function decodeNatively(bytes, from, length) {
  if (utf8Slice !== undefined) return utf8Slice.call(bytes, from, from + length);
  return utf8.decode(bytes.subarray(from, from + length));
}

// Numbers that are whole and fit 32 bits are returned as \`n | 0\`: the same value, but the
// engines then hold it as an int32 rather than a double, which JSON.stringify (Bun's above all)
// and the handler's arithmetic handle faster. -0 stays a double: \`| 0\` would make it 0.

/** An int64 as a number: exact within ±2^53, which is all the decoder lets through. */
function long(view, at) {
  const high = view.getInt32(at + 4, true), low = view.getUint32(at, true);
  if (high === 0 ? low <= 0x7fffffff : high === -1 && low >= 0x80000000) return low | 0;
  return high * 4294967296 + low;
}

/** A float64 as a number. */
function float(view, at) {
  const n = view.getFloat64(at, true);
  return (n | 0) === n && (n !== 0 || 1 / n > 0) ? n | 0 : n;
}

/** Whether the bool field \`id\` is present and true (the \`__null\` flags). */
function flag(view, table, id) {
  const at = slot(view, table, id);
  return at !== 0 && view.getUint8(table + at) !== 0;
}

/** A Record: its entry tables as a plain object, keys in the order they arrived. */
function record(bytes, view, at, readValue) {
  const out = {};
  const start = deref(view, at);
  const length = view.getUint32(start, true);
  for (let i = 0, p = start + 4; i < length; i++, p += 4) {
    const entry = deref(view, p);
    const key = string(bytes, view, entry + slot(view, entry, 0));
    const value = readValue(entry);
    // "__proto__" must become a key, not the object's prototype.
    if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }
  return out;
}

function released() {
  return new Error(
    "Keel: this request was read after its handler finished. Read what you need before returning (or until the returned promise settles).",
  );
}

/** The accessor of type \`Table\` for a payload: a FlatBuffers buffer at \`start\`, relative to the memory's base. */
export function readPayload(Table, memory, start) {
  const at = memory.base + start;
  return new Table(memory, deref(memory.view, at) - memory.base);
}
`;
