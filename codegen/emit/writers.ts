// The response writers in accessors.js: for each typed endpoint's response type, a function
// `(out, value) => boolean` that writes the value as JSON into the response buffer through a
// JsonOut (bindings/core/json-out.ts), its shape known in advance instead of discovered.
//
// A writer writes exactly the bytes JSON.stringify(value) would give, or declines: it returns
// false (what it wrote is then not sent) unless the value is of the declared type *and*
// JSON.stringify would walk it the same way: an object's enumerable keys must be declared
// fields, in declaration order (absent or undefined ones may be missing), and no object may
// have a toJSON() but Date's and an accessor's (whose getters are its fields). Array holes and
// undefined items are written as null, as JSON.stringify writes them. The runtime sends
// JSON.stringify's text for whatever was declined, so the choice between the two is one of
// speed only (docs/ARCHITECTURE.md says where each is used).

import { JSON_OUT_VERSION } from "../../bindings/core/json-out.js";
import type { Type } from "../model.js";
import { propertyRead } from "./js-names.js";

/** What accessors.js exports so that the runtime uses its writers only with the JsonOut they were made for. */
export const JSON_OUT_VERSION_EXPORT = `export const jsonOutVersion = ${JSON_OUT_VERSION};`;

/** Helpers the generated writers call; appended to the accessor prelude. */
export const WRITER_PRELUDE = `// ---- Response writers: \`out\` is the runtime's JsonOut (bindings/core/json-out.ts).

function writeString(out, value) {
  if (typeof value !== "string") return false;
  out.string(value);
  return true;
}

function writeNumber(out, value) {
  if (typeof value !== "number") return false;
  out.number(value);
  return true;
}

function writeBoolean(out, value) {
  if (typeof value !== "boolean") return false;
  out.boolean(value);
  return true;
}

const dateToJson = Date.prototype.toJSON;

/** A Date field may also hold the string JSON.stringify would have made of it. */
function writeDate(out, value) {
  if (!(value instanceof Date)) return writeString(out, value);
  if (value.toJSON !== dateToJson) return false;
  out.date(value);
  return true;
}

/** A plain object or an array, with no toJSON() to call. */
function isPlain(value) {
  return typeof value === "object" && value !== null && typeof value.toJSON !== "function";
}

/**
 * Whether JSON.stringify would walk \`value\`'s keys as \`names\` lists them: each own (or
 * inherited) enumerable key is one of the names, in their order.
 */
function inDeclaredOrder(value, names) {
  if (!isPlain(value) || Array.isArray(value)) return false;
  let next = 0;
  for (const key in value) {
    while (next < names.length && names[next] !== key) next++;
    if (next++ === names.length) return false;
  }
  return true;
}

function writeArray(out, value, write) {
  if (!isPlain(value) || !Array.isArray(value)) return false;
  out.byte(0x5b);
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out.byte(0x2c);
    const item = value[i];
    if (item === null || item === undefined) out.null();
    else if (!write(out, item)) return false;
  }
  out.byte(0x5d);
  return true;
}

function writeRecord(out, value, write) {
  if (!isPlain(value) || Array.isArray(value)) return false;
  out.byte(0x7b);
  let first = true;
  for (const key of Object.keys(value)) {
    const item = value[key];
    if (item === undefined) continue;
    if (!first) out.byte(0x2c);
    first = false;
    out.string(key);
    out.byte(0x3a);
    if (item === null) out.null();
    else if (!write(out, item)) return false;
  }
  out.byte(0x7d);
  return true;
}
`;

const SCALAR_WRITERS: Partial<Record<Type["kind"], string>> = {
  String: "writeString",
  Enum: "writeString",
  Number: "writeNumber",
  Integer: "writeNumber",
  Boolean: "writeBoolean",
  Date: "writeDate",
};

const LITERAL_WRITERS = { String: "writeString", Number: "writeNumber", Boolean: "writeBoolean" } as const;

/** What `typeof` (or `instanceof Date`) says of a union member's values, by kind. */
const UNION_SORTS: Partial<Record<Type["kind"], string>> = { String: "string", Enum: "string", Number: "number", Integer: "number", Boolean: "boolean", Date: "date" };

/** Collects the writer functions of the types asked for, each emitted once. */
export class WriterEmitter {
  private readonly functions: string[] = [];
  private readonly emitted = new Set<string>();
  /** Each object's list of field names, and a function per property name that writes it. */
  private readonly keys: string[] = [];
  /** `,"name":` → the function that writes it: a name shared by several types is written by one. */
  private readonly keyWriters = new Map<string, string>();

  constructor(private readonly types: readonly Type[]) {}

  /** The generated code: field lists and property-name writers first, then the writer functions. */
  code(): string {
    return [...this.keys, "", ...this.functions].join("\n");
  }

  /** The name of the function that writes values of type `index`. */
  writerOf(index: number): string {
    const type = this.types[index]!;
    if (type.kind === "Literal") return LITERAL_WRITERS[type.literal_kind!];
    const scalar = SCALAR_WRITERS[type.kind];
    if (scalar !== undefined) return scalar;
    // Objects and unions are named after their table (shared by every entry of that name);
    // arrays and records after their entry. The `$` keeps these names apart from the prelude's
    // and the classes': no FlatBuffers name contains one.
    const name = type.fbs_name !== undefined && (type.kind === "Object" || type.kind === "Union") ? `write$${type.fbs_name}` : `write$${index}`;
    if (this.emitted.has(name)) return name;
    this.emitted.add(name);
    const at = this.functions.push("") - 1; // keeps the order stable whatever it refers to
    this.functions[at] = this.functionOf(type, name);
    return name;
  }

  private functionOf(type: Type, name: string): string {
    switch (type.kind) {
      case "Array":
        return `function ${name}(out, value) {\n  return writeArray(out, value, ${this.writerOf(type.element!)});\n}\n`;
      case "Record":
        return `function ${name}(out, value) {\n  return writeRecord(out, value, ${this.writerOf(type.element!)});\n}\n`;
      case "Object":
        return this.objectWriter(type, name);
      case "Union":
        return this.unionWriter(type, name);
      default:
        throw new Error(`no writer function for kind ${type.kind}`);
    }
  }

  /**
   * Declared fields in declaration order; an undefined one is left out, as JSON.stringify does.
   * An accessor of the same table (a handler answering with what it was sent) is read through
   * its getters, which is what its toJSON() does. Each property is written with the comma before
   * it, from where the `{` goes: JsonOut.endObject turns the first comma into that `{`.
   */
  private objectWriter(type: Type, name: string): string {
    const table = type.fbs_name!;
    const names = `fields$${table}`;
    this.keys.push(`const ${names} = ${JSON.stringify(type.fields!.map((field) => field.name))};`);
    const lines = [
      `/** ${type.name ?? table}. */`,
      `function ${name}(out, value) {`,
      `  if (!(value instanceof ${table}) && !inDeclaredOrder(value, ${names})) return false;`,
      "  const open = out.pos;",
      "  let field;",
    ];
    for (const field of type.fields!) {
      const key = this.key(field.name);
      lines.push(
        `  field = ${propertyRead("value", field.name)};`,
        "  if (field !== undefined) {",
        `    ${key}(out);`,
        "    if (field === null) out.null();",
        `    else if (!${this.writerOf(field.type)}(out, field)) return false;`,
        "  }",
      );
    }
    lines.push("  out.endObject(open);", "  return true;", "}", "");
    return lines.join("\n");
  }

  /**
   * Picks the member by what the value is. A union's members are strings, numbers, booleans,
   * literals, enums and Dates (keel gen refuses the rest), so `typeof` and `instanceof Date`
   * tell them apart; a value of a member's sort is written as that sort, whichever member it is.
   */
  private unionWriter(type: Type, name: string): string {
    const sorts = new Set<string>();
    for (const variant of type.variants!) {
      const member = this.types[variant]!;
      const sort = member.kind === "Literal" ? member.literal_kind!.toLowerCase() : UNION_SORTS[member.kind];
      if (sort === undefined) throw new Error(`a union member of kind ${member.kind} has no writer (keel gen admits scalars only)`);
      sorts.add(sort);
    }
    const cases: string[] = [];
    // A Date member also takes the string JSON.stringify would have made of it.
    if (sorts.has("string") || sorts.has("date")) cases.push('    case "string":', "      out.string(value);", "      return true;");
    if (sorts.has("number")) cases.push('    case "number":', "      out.number(value);", "      return true;");
    if (sorts.has("boolean")) cases.push('    case "boolean":', "      out.boolean(value);", "      return true;");
    if (sorts.has("date")) cases.push('    case "object":', "      return writeDate(out, value);");
    return [`function ${name}(out, value) {`, "  switch (typeof value) {", ...cases, "  }", "  return false;", "}", ""].join("\n");
  }

  /**
   * A function that writes `,"name":`, its bytes known now and stored as constants (32 bits at a
   * time): no loop and no lookup per property written.
   */
  private key(name: string): string {
    const text = `,${JSON.stringify(name)}:`;
    const existing = this.keyWriters.get(text);
    if (existing !== undefined) return existing;
    const fn = `key$${this.keyWriters.size}`;
    this.keyWriters.set(text, fn);
    const bytes = Buffer.from(text, "utf8");
    const lines = [`/** \`${text.replaceAll("*/", "*\\/")}\` */`, `function ${fn}(out) {`, "  const p = out.pos;", `  if (p + ${bytes.length} > out.limit) return out.overflow();`, "  const v = out.view;"];
    let at = 0;
    for (; at + 4 <= bytes.length; at += 4) lines.push(`  v.setUint32(p + ${at}, ${hex(bytes.readUInt32LE(at))}, true);`);
    for (; at < bytes.length; at++) lines.push(`  v.setUint8(p + ${at}, ${hex(bytes[at]!)});`);
    lines.push(`  out.pos = p + ${bytes.length};`, "}");
    this.keys.push(lines.join("\n"));
    return fn;
  }
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
