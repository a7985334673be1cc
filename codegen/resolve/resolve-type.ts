// From a TypeScript type node to a Term: names are looked up, generic parameters substituted,
// aliases and interfaces (with `extends`) expanded, utility types applied and intersections
// with Keel's tags folded into the type they constrain.

import type {
  Expression,
  TsEntityName,
  TsInterfaceDeclaration,
  TsType,
  TsTypeElement,
  TsTypeParameterDeclaration,
  TsTypeParameterInstantiation,
} from "@swc/core";
import { applyTags, keelType } from "./keel-types.js";
import type { Symbols } from "./symbols.js";
import { describe, named, siteError, type Env, type Member, type Site, type Term, type TypeArgument } from "./terms.js";

/** Deeper than this, a type is taken to expand forever (`type A<T> = A<T[]>`). */
const MAX_DEPTH = 64;

/** Keyword types that have no place in a wire format, and what to write instead. */
const UNSUPPORTED_KEYWORDS: Record<string, string> = {
  any: "`any` has no schema: declare the type",
  unknown: "`unknown` has no schema: declare the type",
  never: "`never` has no values",
  object: "`object` has no schema: declare the fields",
  void: "`void` is only meaningful as a handler's return type",
  symbol: "symbols cannot be sent over the wire",
  bigint: "bigint is not supported: use number & IsInt (±2^53) or a string",
  intrinsic: "intrinsic types are not supported",
};

export class TypeResolver {
  /** Aliases being expanded, by instance: a re-entry means the alias refers to itself. */
  private readonly expanding = new Set<string>();

  constructor(private readonly symbols: Symbols) {}

  resolve(node: TsType, env: Env, depth = 0): Term {
    const site: Site = { module: env.module, span: node.span };
    if (depth > MAX_DEPTH) throw siteError(site, "this type nests deeper than 64 levels; is it recursive?");
    switch (node.type) {
      case "TsKeywordType":
        switch (node.kind) {
          case "string":
            return { t: "primitive", kind: "String", rules: [], site };
          case "number":
            return { t: "primitive", kind: "Number", rules: [], site };
          case "boolean":
            return { t: "primitive", kind: "Boolean", rules: [], site };
          case "null":
            return { t: "null", site };
          case "undefined":
            return { t: "undefined", site };
          default:
            throw siteError(site, UNSUPPORTED_KEYWORDS[node.kind] ?? `\`${node.kind}\` is not supported`);
        }
      case "TsLiteralType": {
        const literal = node.literal;
        if (literal.type === "StringLiteral" || literal.type === "NumericLiteral" || literal.type === "BooleanLiteral") {
          return { t: "literal", value: literal.value, site };
        }
        throw siteError(site, `${literal.type === "TemplateLiteral" ? "template literal types" : "this literal type"} are not supported: use string with MatchesRegexp<"…">`);
      }
      case "TsParenthesizedType":
        return this.resolve(node.typeAnnotation, env, depth + 1);
      case "TsTypeOperator":
        if (node.op === "readonly") return this.resolve(node.typeAnnotation, env, depth + 1);
        throw siteError(site, `\`${node.op}\` types are not supported: write the resulting type out`);
      case "TsArrayType":
        return { t: "array", element: this.resolve(node.elemType, env, depth + 1), rules: [], site };
      case "TsTypeLiteral":
        return { t: "object", members: this.members(node.members, env), site };
      case "TsUnionType":
        return { t: "union", members: node.types.map((member) => this.resolve(member, env, depth + 1)), site };
      case "TsIntersectionType":
        return this.intersection(node.types.map((member) => this.resolve(member, env, depth + 1)), site);
      case "TsTypeReference":
        return this.reference(entityPath(node.typeName), node.typeParams, env, site, depth);
      case "TsTupleType":
        throw siteError(site, "tuples are not supported: use an array (T[]) or an object with named fields");
      case "TsFunctionType":
      case "TsConstructorType":
        throw siteError(site, "functions cannot be sent over the wire");
      case "TsTypeQuery":
        throw siteError(site, "`typeof` types are not supported: declare the type");
      case "TsIndexedAccessType":
        throw siteError(site, "indexed access types (T[K]) are not supported: name the type and use it directly");
      case "TsConditionalType":
        throw siteError(site, "conditional types are not supported: write the resulting type out");
      case "TsMappedType":
        throw siteError(site, "mapped types are not supported: use Record<string, T>, Partial, Pick or Omit, or write the fields out");
      case "TsImportType":
        throw siteError(site, "import(\"…\") types are not supported: import the type by name");
      case "TsThisType":
        throw siteError(site, "`this` types are not supported");
      case "TsInferType":
        throw siteError(site, "`infer` is only meaningful in conditional types, which are not supported");
      case "TsTypePredicate":
        throw siteError(site, "type predicates are not data types");
      default:
        throw siteError(site, `this kind of type (${(node as { type: string }).type}) is not supported`);
    }
  }

  /** The members of an object type, by name, in declaration order. */
  private members(elements: readonly TsTypeElement[], env: Env): Member[] {
    const members: Member[] = [];
    for (const element of elements) {
      const site: Site = { module: env.module, span: element.span };
      if (element.type !== "TsPropertySignature") {
        throw siteError(site, memberError(element.type));
      }
      if (element.computed || (element.key.type !== "Identifier" && element.key.type !== "StringLiteral")) {
        throw siteError(site, "computed property names are not supported: write the name out");
      }
      if (!element.typeAnnotation) throw siteError(site, `property ${element.key.value} needs a type annotation`);
      members.push({ name: element.key.value, optional: element.optional, node: element.typeAnnotation.typeAnnotation, env, site });
    }
    return members;
  }

  private reference(path: string[], typeParams: TsTypeParameterInstantiation | null | undefined, env: Env, site: Site, depth: number): Term {
    const args = (typeParams?.params ?? []).map((node): TypeArgument => ({ node, env }));
    const [head] = path;
    const param = path.length === 1 && head !== undefined ? env.params.get(head) : undefined;
    if (param) {
      if (args.length > 0) throw siteError(site, `the type parameter ${head} takes no type arguments`);
      return this.resolve(param.node, param.env, depth + 1);
    }
    const symbol = this.symbols.lookup(env.module, path, site.span);
    const written = path.join(".");
    switch (symbol.kind) {
      case "keel":
        return keelType(symbol.name, args, site, (arg) => this.resolve(arg.node, arg.env, depth + 1));
      case "package":
        throw siteError(site, `${written} comes from the package "${symbol.specifier}", which the generator does not read: declare the type in the app`);
      case "global":
        return this.builtin(symbol.name, args, site, depth);
      case "declaration": {
        const declaration = symbol.declaration;
        if (declaration.kind === "unsupported") {
          throw siteError(site, `${written} is ${declaration.what}, which is not supported: use an interface, or a union of string literals for an enum`);
        }
        const name = this.instanceName(symbol.name, args);
        if (declaration.kind === "interface") {
          return { t: "object", name, members: this.interfaceMembers(declaration.nodes, symbol.module, args, site, depth), site };
        }
        const key = `${symbol.module.file.path}#${name}`;
        if (this.expanding.has(key)) throw siteError(site, `the type ${name} refers to itself; recursive types are not supported`);
        this.expanding.add(key);
        try {
          const aliasEnv = this.bind(declaration.node.typeParams, args, { module: symbol.module, params: new Map() }, site, name);
          const term = named(this.resolve(declaration.node.typeAnnotation, aliasEnv, depth + 1), name);
          // Messages about what the alias names point at the place that uses it.
          return { ...term, site };
        } finally {
          this.expanding.delete(key);
        }
      }
    }
  }

  /** Built-in generic and library types the model has a meaning for. */
  private builtin(name: string, args: TypeArgument[], site: Site, depth: number): Term {
    const arg = (index: number) => this.resolve(args[index]!.node, args[index]!.env, depth + 1);
    const arity = (count: number, usage: string) => {
      if (args.length !== count) throw siteError(site, `${name} takes ${count} type argument${count === 1 ? "" : "s"}: ${usage}`);
    };
    switch (name) {
      case "Date":
        arity(0, "Date");
        return { t: "primitive", kind: "Date", rules: [], site };
      case "Array":
      case "ReadonlyArray":
        arity(1, `${name}<T>`);
        return { t: "array", element: arg(0), rules: [], site };
      case "Record": {
        arity(2, "Record<string, T>");
        const key = arg(0);
        if (key.t !== "primitive" || key.kind !== "String" || key.rules.length > 0) {
          throw siteError(site, `Record keys must be string, not ${describe(key)}: use Record<string, T>`);
        }
        return { t: "record", value: arg(1), site };
      }
      case "Partial":
      case "Required":
      case "Readonly": {
        arity(1, `${name}<T>`);
        const object = this.objectArgument(name, arg(0), site);
        const optional = (member: Member) => (name === "Partial" ? true : name === "Required" ? false : member.optional);
        return { t: "object", members: object.members.map((member) => ({ ...member, optional: optional(member) })), site };
      }
      case "Pick":
      case "Omit": {
        arity(2, `${name}<T, "a" | "b">`);
        const object = this.objectArgument(name, arg(0), site);
        const keys = this.keys(arg(1), name, site);
        if (name === "Pick") {
          for (const key of keys) {
            if (!object.members.some((member) => member.name === key)) {
              throw siteError(site, `Pick: ${describe(object)} has no property "${key}"`);
            }
          }
        }
        const keep = (member: Member) => keys.has(member.name) === (name === "Pick");
        return { t: "object", members: object.members.filter(keep), site };
      }
      case "Promise":
        throw siteError(site, "a Promise is only meaningful as a handler's return type");
      case "Map":
        throw siteError(site, "Map cannot be sent as JSON: use Record<string, T>");
      case "Set":
        throw siteError(site, "Set cannot be sent as JSON: use an array");
      default:
        throw siteError(site, `cannot find the type ${name}: declare it, or import it from the file that does`);
    }
  }

  private objectArgument(utility: string, term: Term, site: Site) {
    if (term.t !== "object") throw siteError(site, `${utility} applies to object types, not ${describe(term)}`);
    return term;
  }

  /** The property names in Pick/Omit's second argument: a string literal or a union of them. */
  private keys(term: Term, utility: string, site: Site): Set<string> {
    const keys = new Set<string>();
    const add = (t: Term): void => {
      if (t.t === "union") t.members.forEach(add);
      else if (t.t === "literal" && typeof t.value === "string") keys.add(t.value);
      else throw siteError(site, `${utility}'s keys must be string literals ("a" | "b"), not ${describe(t)}`);
    };
    add(term);
    return keys;
  }

  /**
   * The members of an interface, its bases' first (in `extends` order). A member declared again
   * further down keeps its first position and takes the later type, as TypeScript's narrowing
   * override does.
   */
  private interfaceMembers(
    nodes: readonly TsInterfaceDeclaration[],
    module: Env["module"],
    args: TypeArgument[],
    site: Site,
    depth: number,
  ): Member[] {
    const first = nodes[0]!;
    const env = this.bind(first.typeParams, args, { module, params: new Map() }, site, first.id.value);
    const members: Member[] = [];
    const put = (member: Member) => {
      const at = members.findIndex((existing) => existing.name === member.name);
      if (at >= 0) members[at] = member;
      else members.push(member);
    };
    for (const node of nodes) {
      for (const base of node.extends) {
        const baseSite: Site = { module, span: base.span };
        const term = this.reference(expressionPath(base.expression, baseSite), base.typeArguments, env, baseSite, depth + 1);
        if (term.t !== "object") throw siteError(baseSite, `an interface can only extend object types, not ${describe(term)}`);
        term.members.forEach(put);
      }
    }
    for (const node of nodes) this.members(node.body.body, env).forEach(put);
    return members;
  }

  /** Binds a declaration's type parameters to the arguments it is used with (or defaults). */
  private bind(
    declared: TsTypeParameterDeclaration | null | undefined,
    args: TypeArgument[],
    env: Env,
    site: Site,
    name: string,
  ): Env {
    const params = declared?.parameters ?? [];
    if (args.length > params.length) {
      throw siteError(site, `${name} takes ${params.length} type argument${params.length === 1 ? "" : "s"}, not ${args.length}`);
    }
    const bound = new Map<string, TypeArgument>();
    const scope: Env = { module: env.module, params: bound };
    params.forEach((param, i) => {
      const arg = args[i] ?? (param.default ? { node: param.default, env: scope } : undefined);
      if (!arg) throw siteError(site, `${name} needs a type argument for ${param.name.value}`);
      bound.set(param.name.value, arg);
    });
    return scope;
  }

  /** `Page<User>`: a generic's name with its arguments, as the model and messages show it. */
  private instanceName(name: string, args: readonly TypeArgument[]): string {
    if (args.length === 0) return name;
    return `${name}<${args.map((arg) => this.argumentName(arg)).join(", ")}>`;
  }

  private argumentName(arg: TypeArgument): string {
    const node = arg.node;
    if (node.type === "TsTypeReference") {
      const path = entityPath(node.typeName);
      const param = path.length === 1 ? arg.env.params.get(path[0]!) : undefined;
      if (param) return this.argumentName(param);
      return this.instanceName(path.join("."), (node.typeParams?.params ?? []).map((n) => ({ node: n, env: arg.env })));
    }
    return arg.env.module.file.slice(node.span).replace(/\s+/g, " ");
  }

  /** Folds `A & B & …`: tags become rules of the one base type; objects merge. */
  private intersection(parts: readonly Term[], site: Site): Term {
    const tags: Term[] = [];
    const objects: Extract<Term, { t: "object" }>[] = [];
    const bases: Term[] = [];
    let source: Extract<Term, { t: "source" }> | undefined;
    const sort = (part: Term): void => {
      if (part.t === "tag") tags.push(part);
      else if (part.t === "object") objects.push(part);
      else if (part.t === "source") {
        if (source) throw siteError(part.site, `a field has one source: ${describe(source)} and ${describe(part)} cannot be combined`);
        source = part;
        sort(part.inner);
      } else bases.push(part);
    };
    parts.forEach(sort);

    let result: Term;
    if (objects.length > 0) {
      const other = bases[0] ?? tags[0];
      if (other) throw siteError(other.site, `${describe(other)} cannot be intersected with an object type`);
      result = { t: "object", members: mergeMembers(objects), site };
    } else {
      if (bases.length === 0) throw siteError(site, "tags need a type to constrain: write e.g. number & Min<0>");
      if (bases.length > 1) {
        throw siteError(bases[1]!.site, `${describe(bases[0]!)} and ${describe(bases[1]!)} have no common values`);
      }
      result = applyTags(bases[0]!, tags);
    }
    return source ? { ...source, inner: result } : result;
  }
}

function mergeMembers(objects: readonly Extract<Term, { t: "object" }>[]): Member[] {
  const members: Member[] = [];
  for (const object of objects) {
    for (const member of object.members) {
      if (members.some((existing) => existing.name === member.name)) {
        throw siteError(member.site, `property ${member.name} is declared on both sides of an intersection: declare it once`);
      }
      members.push(member);
    }
  }
  return members;
}

function memberError(type: TsTypeElement["type"]): string {
  switch (type) {
    case "TsIndexSignature":
      return "index signatures are not supported: use Record<string, T>";
    case "TsMethodSignature":
      return "methods cannot be sent over the wire: declare data properties only";
    case "TsGetterSignature":
    case "TsSetterSignature":
      return "accessors are not supported: declare a plain property";
    default:
      return "call and construct signatures are not data: declare properties only";
  }
}

function entityPath(name: TsEntityName): string[] {
  return name.type === "Identifier" ? [name.value] : [...entityPath(name.left), name.right.value];
}

/** `extends` clauses are expressions in SWC's tree: an identifier or `ns.Name`. */
function expressionPath(expression: Expression, site: Site): string[] {
  if (expression.type === "Identifier") return [expression.value];
  if (expression.type === "MemberExpression" && expression.property.type === "Identifier") {
    return [...expressionPath(expression.object, site), expression.property.value];
  }
  throw siteError(site, "an interface can only extend a named type");
}
