// From terms to the model: each type is placed in the TypeTable once, objects get their fields
// with FlatBuffers ids, unions are checked against what the wire format can carry.

import type { Field, Source, Type } from "../model.js";
import type { TypeTable } from "../model.js";
import type { TypeResolver } from "./resolve-type.js";
import { describe, siteError, type Member, type RequestSource, type Site, type Term } from "./terms.js";

/** Where a type sits: the request's own fields, anything else read from JSON, or a response. */
export type Context = "request" | "body" | "response";

/** A type as a field holds it: the type itself, plus what the field adds around it. */
export interface Placed {
  readonly type: number;
  readonly nullable: boolean;
  /** The type included `undefined`. */
  readonly optional: boolean;
  /** A Header/Query/Cookie marker (only on fields of the request type). */
  readonly marker?: { readonly source: RequestSource; readonly wireName?: string; readonly site: Site };
}

/** Decides the source of each field of the request type (it depends on the endpoint). */
export type SourceOf = (member: Member, placed: Placed) => { readonly source: Source; readonly wire_name?: string };

type ObjectTerm = Extract<Term, { t: "object" }>;

/** The FlatBuffers scalar a value of `type` is stored as; undefined for tables, enums, vectors. */
export function scalarOf(type: Type): "string" | "double" | "long" | "bool" | undefined {
  switch (type.kind) {
    case "String":
    case "Date":
      return "string";
    case "Number":
      return "double";
    case "Integer":
      return "long";
    case "Boolean":
      return "bool";
    case "Literal":
      return type.literal_kind === "String" ? "string" : type.literal_kind === "Number" ? "double" : "bool";
    default:
      return undefined;
  }
}

const WRAPPER_OF_SCALAR = { string: "KeelString", double: "KeelDouble", long: "KeelLong", bool: "KeelBool" } as const;

/** What a union variant is stored as: a shared wrapper table, or its enum's own (docs/TYPED-APIS.md). */
export function wrapperOf(type: Type): (typeof WRAPPER_OF_SCALAR)[keyof typeof WRAPPER_OF_SCALAR] | "enum" {
  if (type.kind === "Enum") return "enum";
  const scalar = scalarOf(type);
  if (scalar === undefined) throw new Error(`${type.kind} cannot be a union variant`);
  return WRAPPER_OF_SCALAR[scalar];
}

export class ModelBuilder {
  /** Declared object types being built: meeting one again means the type contains itself. */
  private readonly building = new Set<string>();

  constructor(
    private readonly resolver: TypeResolver,
    readonly table: TypeTable,
  ) {}

  /** Places an object type; `sourceOf` is given for the request type only. */
  object(term: ObjectTerm, hint: string, context: Context, sourceOf?: SourceOf): number {
    const name = term.name;
    if (name !== undefined) {
      if (this.building.has(name)) throw siteError(term.site, `${name} contains itself; recursive types are not supported`);
      this.building.add(name);
    }
    try {
      const fields: Field[] = [];
      let id = 0;
      const base = name === undefined ? hint : identifierOf(name);
      for (const member of term.members) {
        const placed = this.value(this.resolver.resolve(member.node, member.env), base + pascal(member.name), context);
        const { source, wire_name } =
          sourceOf?.(member, placed) ?? { source: context === "response" ? "Response" : "Body" };
        if (this.table.get(placed.type).kind === "Union") id += 1; // the union's type byte
        const valueId = id++;
        const nullId = placed.nullable ? id++ : undefined;
        fields.push({
          name: member.name,
          type: placed.type,
          optional: member.optional || placed.optional,
          nullable: placed.nullable,
          source,
          wire_name,
          id: valueId,
          null_id: nullId,
        });
      }
      return this.table.add({ kind: "Object", name, rules: [], fields }, hint);
    } finally {
      if (name !== undefined) this.building.delete(name);
    }
  }

  /** A field's value: `null` and `undefined` members of a union become flags around the type. */
  value(term: Term, hint: string, context: Context): Placed {
    let { core, nullable, optional } = splitNullish(term);
    if (!core) throw siteError(term.site, `${describe(term)} alone is not a type a value can have: write T | ${describe(term)}`);
    let marker: Placed["marker"];
    if (core.t === "source") {
      if (context !== "request") {
        throw siteError(core.site, `${describe(core)} marks a field of the request type itself (the handler's parameter), not of a nested object or a response`);
      }
      marker = { source: core.source, wireName: core.wireName, site: core.site };
      const inner = splitNullish(core.inner);
      if (!inner.core) throw siteError(core.site, `${describe(core)} needs a value type`);
      core = inner.core;
      nullable ||= inner.nullable;
      optional ||= inner.optional;
    }
    return { type: this.type(core, hint, context), nullable, optional, marker };
  }

  /** Places a type that is not null or undefined. */
  type(term: Term, hint: string, context: Context): number {
    const nested: Context = context === "request" ? "body" : context;
    switch (term.t) {
      case "primitive":
        return this.table.add({ kind: term.kind, rules: term.rules }, hint);
      case "literal":
        return this.literal(term.value, hint);
      case "null":
      case "undefined":
        throw siteError(term.site, `${term.t} alone is not a type a value can have: write T | ${term.t}`);
      case "tag":
        throw siteError(term.site, `${term.name} must be intersected with the type it constrains, as in number & Min<0>`);
      case "source":
        throw siteError(term.site, `${describe(term)} marks a field of the request type itself (the handler's parameter), not of a nested object or a response`);
      case "object":
        return this.object(term, hint, nested);
      case "array": {
        const element = this.element(term.element, hint, nested, "an array's elements");
        const kind = this.table.get(element).kind;
        if (kind === "Array" || kind === "Record" || kind === "Union") {
          throw siteError(term.element.site, `arrays of ${kind === "Array" ? "arrays" : kind === "Record" ? "Records" : "unions"} are not supported: wrap the element in an object type`);
        }
        return this.table.add({ kind: "Array", rules: term.rules, element }, hint);
      }
      case "record": {
        const element = this.element(term.value, hint + "Value", nested, "a Record's values");
        return this.table.add({ kind: "Record", name: term.name, rules: [], element }, hint);
      }
      case "union":
        return this.union(term, hint, nested);
    }
  }

  private element(term: Term, hint: string, context: Context, what: string): number {
    const { core, nullable, optional } = splitNullish(term);
    if (!core) throw siteError(term.site, `${describe(term)} alone is not a type a value can have`);
    if (nullable || optional) throw siteError(term.site, `${what} cannot be ${nullable ? "null" : "undefined"}: drop it from the union`);
    return this.type(core, hint, context);
  }

  private literal(value: string | number | boolean, hint: string): number {
    if (typeof value === "string") return this.table.add({ kind: "Literal", rules: [], literal_kind: "String", literal_string: value }, hint);
    if (typeof value === "number") return this.table.add({ kind: "Literal", rules: [], literal_kind: "Number", literal_number: value }, hint);
    return this.table.add({ kind: "Literal", rules: [], literal_kind: "Boolean", literal_bool: value }, hint);
  }

  /**
   * A union of string literals is an Enum; any other union becomes a FlatBuffers union of wrapper
   * tables, its string literals gathered into one Enum variant where the first one stood.
   */
  private union(term: Extract<Term, { t: "union" }>, hint: string, context: Context): number {
    const leaves = flatten(term);
    const strings = [...new Set(leaves.flatMap((leaf) => (leaf.t === "literal" && typeof leaf.value === "string" ? [leaf.value] : [])))];
    if (strings.length > 256) {
      throw siteError(term.site, `an enum is stored in one byte and holds at most 256 values, not ${strings.length}: use string with MatchesRegexp<"…">`);
    }
    const stringsEnum = (name: string | undefined, enumHint: string) =>
      strings.length === 1 ? this.literal(strings[0]!, enumHint) : this.table.add({ kind: "Enum", name, rules: [], enum_values: strings }, enumHint);

    if (strings.length === leaves.length) return stringsEnum(term.name, hint);
    const booleans = new Set(leaves.map((leaf) => (leaf.t === "literal" && typeof leaf.value === "boolean" ? leaf.value : undefined)));
    if (leaves.length === 2 && booleans.has(true) && booleans.has(false)) return this.table.add({ kind: "Boolean", rules: [] }, hint);

    const variants: number[] = [];
    const wrappers = new Map<string, Term>();
    let enumPlaced = false;
    for (const leaf of leaves) {
      let variant: number;
      if (leaf.t === "literal" && typeof leaf.value === "string") {
        if (enumPlaced) continue;
        enumPlaced = true;
        variant = stringsEnum(undefined, hint + "Enum");
      } else if (leaf.t === "primitive" || leaf.t === "literal") {
        variant = this.type(leaf, hint, context);
      } else {
        const instead =
          leaf.t === "object" ? "unions of object types are not supported: use one object with optional fields" : `${describe(leaf)} cannot be a union variant: a union holds strings, numbers, booleans, literals and enums`;
        throw siteError(leaf.site, instead);
      }
      const wrapper = wrapperOf(this.table.get(variant));
      const clash = wrappers.get(wrapper);
      if (clash) {
        throw siteError(leaf.site, `${describe(clash)} and ${describe(leaf)} would be stored the same way (${wrapper === "enum" ? "as an enum" : wrapper}); a union holds at most one variant of each: use one type with rules`);
      }
      wrappers.set(wrapper, leaf);
      variants.push(variant);
    }
    return this.table.add({ kind: "Union", name: term.name, rules: [], variants }, hint);
  }
}

/**
 * Takes `null` and `undefined` out of a union (and out of unions nested in it). What is left is
 * the term itself when nothing was taken out, the one remaining member (which keeps its own
 * name: `Lang | null` is the enum Lang), or a union of the rest.
 */
function splitNullish(term: Term): { core: Term | undefined; nullable: boolean; optional: boolean } {
  if (term.t === "null") return { core: undefined, nullable: true, optional: false };
  if (term.t === "undefined") return { core: undefined, nullable: false, optional: true };
  if (term.t !== "union") return { core: term, nullable: false, optional: false };
  let nullable = false;
  let optional = false;
  const rest: Term[] = [];
  for (const member of term.members) {
    const inner = splitNullish(member);
    nullable ||= inner.nullable;
    optional ||= inner.optional;
    if (inner.core) rest.push(inner.core);
  }
  if (!nullable && !optional) return { core: term, nullable, optional };
  const core = rest.length <= 1 ? rest[0] : { ...term, members: rest };
  return { core, nullable, optional };
}

/** The members of a union and of the unions inside it, in order. */
function flatten(term: Term): Term[] {
  return term.t === "union" ? term.members.flatMap(flatten) : [term];
}

/** `blog post` → `BlogPost`: a property name as part of a generated type name. */
export function pascal(name: string): string {
  return identifierOf(name).replace(/(^|_)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
}

/** A name made of FlatBuffers identifier characters only. */
export function identifierOf(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_]+/g, "_").replace(/^_+|_+$/g, "");
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned || "_";
}
