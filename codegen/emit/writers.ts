// The response writers in accessors.js: for each typed endpoint's response type, a function
// `(out, value) => boolean` that writes the value as JSON into the response buffer through a
// JsonOut (bindings/core/json-out.ts), its shape known in advance instead of discovered.
//
// A writer writes exactly the bytes JSON.stringify(value) would give, or declines: it returns
// false (what it wrote is then not sent) unless the value is of the declared type *and* is
// what JSON.stringify would walk the same way: an object's own enumerable keys must be declared
// fields, in declaration order (absent or undefined ones may be missing); no toJSON() other than
// Date's and an accessor's (whose getters are its fields); no holes' worth of surprises (holes
// and undefined items are null, as in JSON.stringify). A value of a union with several object
// (or several array) members is handed to JSON.stringify itself. The runtime then sends
// JSON.stringify's text for whatever was declined, so the choice between the two is one of
// speed only (docs/ARCHITECTURE.md says where each is used).

import type { Type } from "../model.js";

/** Helpers the generated writers call; appended to the accessor prelude. */
export const WRITER_PRELUDE = `// ---- Response writers: \`out\` is the runtime's JsonOut (bindings/core/json-out.ts).

const textEncoder = new TextEncoder();

/** The bytes of a generated property name, \`,"name":\`. */
function known(text) {
  return textEncoder.encode(text);
}

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

/** A value written by JSON.stringify itself (a member of an ambiguous union). */
function writeStringified(out, value) {
  const json = JSON.stringify(value);
  if (json === undefined) return false;
  out.json(json);
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

/** Collects the writer functions of the types asked for, each emitted once. */
export class WriterEmitter {
  private readonly functions: string[] = [];
  private readonly emitted = new Set<string>();
  /** Module constants: property names as bytes, and each object's list of field names. */
  private readonly keys: string[] = [];

  constructor(private readonly types: readonly Type[]) {}

  /** The generated code: property-name constants first, then the writer functions. */
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
   * its getters, which is what its toJSON() does.
   */
  private objectWriter(type: Type, name: string): string {
    const table = type.fbs_name!;
    const names = `fields$${table}`;
    this.keys.push(`const ${names} = ${JSON.stringify(type.fields!.map((field) => field.name))};`);
    const lines = [
      `/** ${type.name ?? table}. */`,
      `function ${name}(out, value) {`,
      `  if (!(value instanceof ${table}) && !inDeclaredOrder(value, ${names})) return false;`,
      "  let count = 0, field;",
      "  out.byte(0x7b);",
    ];
    for (const field of type.fields!) {
      const key = this.key(field.name);
      lines.push(
        `  field = value${/^[A-Za-z_$][\w$]*$/.test(field.name) ? `.${field.name}` : `[${JSON.stringify(field.name)}]`};`,
        "  if (field !== undefined) {",
        `    out.key(${key}, count++ === 0);`,
        "    if (field === null) out.null();",
        `    else if (!${this.writerOf(field.type)}(out, field)) return false;`,
        "  }",
      );
    }
    lines.push("  out.byte(0x7d);", "  return true;", "}", "");
    return lines.join("\n");
  }

  /** Picks the member by what the value is; the first member of that sort writes it. */
  private unionWriter(type: Type, name: string): string {
    const members = type.variants!.map((variant) => this.types[variant]!);
    const sortOf = (member: Type): string =>
      member.kind === "Literal" ? member.literal_kind!.toLowerCase() : ({ Enum: "string", Integer: "number" } as Record<string, string>)[member.kind] ?? member.kind.toLowerCase();
    const cases: string[] = [];
    const primitive = (sort: "string" | "number" | "boolean", method: string) => {
      const dates = members.some((m) => m.kind === "Date");
      if (members.some((m) => sortOf(m) === sort) || (sort === "string" && dates)) {
        cases.push(`    case "${sort}":`, `      out.${method}(value);`, "      return true;");
      }
    };
    primitive("string", "string");
    primitive("number", "number");
    primitive("boolean", "boolean");
    const objectLines: string[] = [];
    if (members.some((m) => m.kind === "Date")) objectLines.push("      if (value instanceof Date) return writeDate(out, value);");
    const arrays = type.variants!.filter((v) => this.types[v]!.kind === "Array");
    if (arrays.length > 0) {
      const write = arrays.length === 1 ? this.writerOf(arrays[0]!) : "writeStringified";
      objectLines.push(`      if (Array.isArray(value)) return ${write}(out, value);`);
    }
    const objects = type.variants!.filter((v) => ["Object", "Record"].includes(this.types[v]!.kind));
    if (objects.length > 0) {
      const write = objects.length === 1 ? this.writerOf(objects[0]!) : "writeStringified";
      objectLines.push(`      return ${write}(out, value);`);
    }
    if (objectLines.length > 0) {
      cases.push('    case "object":', ...objectLines);
      if (objects.length === 0) cases.push("      return false;");
    }
    return [`function ${name}(out, value) {`, "  switch (typeof value) {", ...cases, "  }", "  return false;", "}", ""].join("\n");
  }

  /** A module constant with the bytes of `,"name":`. */
  private key(name: string): string {
    const constant = `key$${this.keys.length}`;
    this.keys.push(`const ${constant} = known(${JSON.stringify(`,${JSON.stringify(name)}:`)});`);
    return constant;
  }
}
