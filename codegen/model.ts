// The intermediate model: what `keel gen` knows about an app once every TypeScript construct
// has been resolved. Its shape is schemas/manifest.fbs one-to-one (same names, snake_case
// included), so the binary manifest and the manifest.json dump are straight transcriptions.
// docs/TYPED-APIS.md says what each kind means on the wire.

/** Manifest `Kind`, in enum order: the index is the value in the binary manifest. */
export const KINDS = [
  "String",
  "Number",
  "Integer",
  "Boolean",
  "Date",
  "Literal",
  "Enum",
  "Array",
  "Object",
  "Record",
  "Union",
] as const;
export type Kind = (typeof KINDS)[number];

export const LITERAL_KINDS = ["String", "Number", "Boolean"] as const;
export type LiteralKind = (typeof LITERAL_KINDS)[number];

export const RULE_KINDS = [
  "Min",
  "Max",
  "MinLen",
  "MaxLen",
  "MatchesRegexp",
  "StartsWith",
  "EndsWith",
  "IsEmail",
  "IsURL",
] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export const SOURCES = ["Body", "Query", "Header", "Cookie", "Path", "Response"] as const;
export type Source = (typeof SOURCES)[number];

/** `value` for Min, Max, MinLen, MaxLen; `text` for MatchesRegexp, StartsWith, EndsWith. */
export interface Rule {
  readonly kind: RuleKind;
  readonly value?: number;
  readonly text?: string;
}

export interface Field {
  /** The TypeScript property name, which is also the JSON key. */
  readonly name: string;
  /** Index into Manifest.types. */
  readonly type: number;
  readonly optional: boolean;
  readonly nullable: boolean;
  readonly source: Source;
  /** Header, query, cookie or path name when it differs from `name`. */
  readonly wire_name?: string;
  /** FlatBuffers id of the value (for a Union, of the value part; its type byte is id - 1). */
  readonly id: number;
  /** Nullable only: id of the `<name>__null` flag, right after the value. */
  readonly null_id?: number;
}

export interface Type {
  readonly kind: Kind;
  /** The declared TypeScript name (with type arguments for a generic), when there is one. */
  readonly name?: string;
  /** Object, Enum, Union, Record: the table, enum, union or entry table in the app's .fbs. */
  readonly fbs_name?: string;
  readonly rules: readonly Rule[];
  /** Array, Record: the element (value) type. */
  readonly element?: number;
  /** Object: in id order. */
  readonly fields?: readonly Field[];
  /** Union: member types, first match wins. */
  readonly variants?: readonly number[];
  /** Enum: the literals; a value is stored as its index here. */
  readonly enum_values?: readonly string[];
  readonly literal_kind?: LiteralKind;
  readonly literal_string?: string;
  readonly literal_number?: number;
  readonly literal_bool?: boolean;
}

export interface Endpoint {
  /** The exported const. */
  readonly name: string;
  readonly method: string;
  readonly path: string;
  /** Index of the request Object type, -1 when the handler takes no request. */
  readonly request: number;
  /** Index of the response type, -1 for void. */
  readonly response: number;
  readonly raw: boolean;
  /** Relative to the app root. */
  readonly file: string;
  readonly line: number;
}

export interface Manifest {
  readonly version: number;
  readonly types: readonly Type[];
  readonly endpoints: readonly Endpoint[];
  readonly app_fbs: string;
}

export const MANIFEST_VERSION = 1;

/**
 * The types of one app, each stored once. Two types are the same entry when they are equal
 * field for field: anonymous types merge by structure, declared ones also by name (two
 * interfaces with the same fields and different names stay two types). Entries are appended
 * after the entries they refer to, so an index always points backwards.
 */
export class TypeTable {
  readonly types: Type[] = [];
  /** For types without a name: where the first one was met, to name its .fbs declaration. */
  readonly hints: string[] = [];
  private readonly index = new Map<string, number>();

  add(type: Type, hint: string): number {
    const key = JSON.stringify(type);
    let at = this.index.get(key);
    if (at === undefined) {
      at = this.types.push(type) - 1;
      this.hints.push(hint);
      this.index.set(key, at);
    }
    return at;
  }

  get(index: number): Type {
    const type = this.types[index];
    if (!type) throw new RangeError(`no type ${index}`);
    return type;
  }
}
