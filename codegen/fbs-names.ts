// Names of the declarations in the app's .fbs. Every Object, Enum, Union and Record gets one,
// unique in the file and valid in the FlatBuffers grammar; the manifest records it as fbs_name.

import { identifierOf, scalarOf } from "./resolve/build-model.js";
import type { Type, TypeTable } from "./model.js";

/** The wrapper tables that union variants are stored in (docs/TYPED-APIS.md). */
export const WRAPPER_TABLES = {
  KeelString: "string",
  KeelDouble: "double",
  KeelLong: "long",
  KeelBool: "bool",
} as const;

/** Words of the schema language and its scalar type names: never used as identifiers. */
const RESERVED = new Set([
  "include", "namespace", "table", "struct", "enum", "union", "root_type", "file_extension",
  "file_identifier", "attribute", "rpc_service", "true", "false", "nan", "inf", "string", "bool",
  "byte", "ubyte", "short", "ushort", "int", "uint", "float", "long", "ulong", "double", "int8",
  "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64",
]);

/** A name that is a valid, non-reserved FlatBuffers identifier. */
export function fbsIdentifier(name: string): string {
  const identifier = identifierOf(name);
  return RESERVED.has(identifier) ? `${identifier}_` : identifier;
}

/**
 * `someKey` → `some_key`: field and enum value names in the case flatc expects (it warns about
 * any other). Only the .fbs uses these names; the wire format knows fields by id.
 */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();
}

/** Hands out names that are unique within one scope (the file, or one table's fields). */
export class NameScope {
  private readonly taken = new Set<string>();

  constructor(reserved: Iterable<string> = []) {
    for (const name of reserved) this.taken.add(name);
  }

  /** `preferred`, or it followed by 2, 3, … when taken; every `suffixes` variant must be free too. */
  take(preferred: string, suffixes: readonly string[] = []): string {
    const base = fbsIdentifier(preferred);
    for (let n = 1; ; n++) {
      const name = n === 1 ? base : `${base}${n}`;
      const all = [name, ...suffixes.map((suffix) => name + suffix)];
      if (all.every((candidate) => !this.taken.has(candidate))) {
        all.forEach((candidate) => this.taken.add(candidate));
        return name;
      }
    }
  }
}

/** The wrapper table of an Enum used as a union variant. */
export function enumWrapperName(type: Type): string {
  return `${type.fbs_name}Value`;
}

/** How a field of type `index` is written in the .fbs (`types` must have fbs_name set up to it). */
export function fbsTypeName(types: readonly Type[], index: number): string {
  const type = types[index]!;
  if (type.kind === "Array") return `[${fbsTypeName(types, type.element!)}]`;
  if (type.kind === "Record") return `[${type.fbs_name}]`;
  return scalarOf(type) ?? type.fbs_name!;
}

/**
 * The table's types with fbs_name set on each one the .fbs declares (placed right after `name`,
 * in schema order, so manifest.json reads like the schema).
 *
 * Two model types can have the same .fbs declaration: an object used both in a request and in
 * a response differs only in its fields' sources, which the .fbs does not carry. They share one
 * name, and the .fbs declares it once.
 */
export function withFbsNames(table: TypeTable): Type[] {
  const scope = new NameScope(Object.keys(WRAPPER_TABLES));
  const byDeclaration = new Map<string, string>();
  const named: Type[] = [];
  table.types.forEach(({ kind, name, ...rest }, index) => {
    const preferred = name ?? table.hints[index]!;
    const type: Type = { kind, name, ...rest };
    let declaration: unknown;
    if (kind === "Object") declaration = type.fields!.map((f) => [f.name, fbsTypeName(named, f.type), f.id, f.null_id]);
    else if (kind === "Union") declaration = type.variants;
    else if (kind === "Enum") declaration = type.enum_values;
    else if (kind === "Record") declaration = fbsTypeName(named, type.element!);
    let fbs_name: string | undefined;
    if (declaration !== undefined) {
      const key = JSON.stringify([kind, preferred, declaration]);
      fbs_name = byDeclaration.get(key);
      if (fbs_name === undefined) {
        // An Enum keeps room for the wrapper table it gets as a union variant.
        fbs_name = scope.take(kind === "Record" ? `${preferred}Entry` : preferred, kind === "Enum" ? ["Value"] : []);
        byDeclaration.set(key, fbs_name);
      }
    }
    named.push({ kind, name, fbs_name, ...rest });
  });
  return named;
}
