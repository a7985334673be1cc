// An endpoint declaration in the model: its request type placed with a source for every field
// (path, query, header, cookie or body, per docs/TYPED-APIS.md) and its response type.

import type { TsType } from "@swc/core";
import type { Endpoint, Source, Type } from "../model.js";
import type { EndpointDeclaration } from "../parse/find-endpoints.js";
import { pascal, type ModelBuilder, type Placed, type SourceOf } from "./build-model.js";
import type { Symbols } from "./symbols.js";
import type { TypeResolver } from "./resolve-type.js";
import { describe, siteError, type Env, type Member, type Site } from "./terms.js";

/** Methods whose requests have no body: their plain fields are query parameters. */
const BODILESS = new Set(["GET", "HEAD", "DELETE"]);
/** Kinds that can be parsed from one piece of text (a path segment, header or cookie). */
const SCALAR_KINDS = new Set(["String", "Number", "Integer", "Boolean", "Date", "Literal", "Enum", "Union"]);

export class EndpointBuilder {
  constructor(
    private readonly resolver: TypeResolver,
    private readonly symbols: Symbols,
    private readonly model: ModelBuilder,
  ) {}

  build(declaration: EndpointDeclaration): Endpoint {
    const { name, method, path, raw, module } = declaration;
    const file = module.file;
    const line = file.locate(declaration.span).line;
    const base = { name, method, path };
    if (raw) return { ...base, request: -1, response: -1, raw, file: file.displayPath, line };

    const env: Env = { module, params: new Map() };
    const params = pathParameters(path, { module, span: declaration.pathSpan });
    let request = -1;
    if (declaration.request) {
      const term = this.resolver.resolve(declaration.request, env);
      if (term.t !== "object") {
        throw siteError(term.site, `the request type must be an object type whose fields are the request's parameters, not ${describe(term)}`);
      }
      const seen = new Set<string>();
      const sourceOf: SourceOf = (member, placed) => {
        seen.add(member.name);
        return this.source(member, placed, method, params);
      };
      request = this.model.object(term, `${pascal(name)}Request`, "request", sourceOf);
      const missing = [...params].find((param) => !seen.has(param));
      if (missing !== undefined) {
        throw file.error(declaration.pathSpan, `the path parameter :${missing} has no field in ${describe(term)}: add ${missing}: string (or number)`);
      }
    }

    let response = -1;
    const returned = declaration.response && this.unwrapPromise(declaration.response, env);
    if (returned) {
      const placed = this.model.value(this.resolver.resolve(returned, env), `${pascal(name)}Response`, "response");
      if (placed.nullable || placed.optional) {
        throw file.error(returned.span, "a response type cannot be null or undefined: answer an object with an optional field, or throw APIError not_found");
      }
      response = placed.type;
    }
    return { ...base, request, response, raw, file: file.displayPath, line };
  }

  /** `Promise<T>` → T; `void`, `undefined` and `Promise<void>` → no response type. */
  private unwrapPromise(node: TsType, env: Env): TsType | undefined {
    if (node.type === "TsKeywordType" && (node.kind === "void" || node.kind === "undefined")) return undefined;
    if (node.type === "TsTypeReference" && node.typeName.type === "Identifier" && node.typeName.value === "Promise") {
      const symbol = this.symbols.lookup(env.module, ["Promise"], node.span);
      const arg = node.typeParams?.params[0];
      if (symbol.kind === "global" && arg && node.typeParams?.params.length === 1) return this.unwrapPromise(arg, env);
    }
    return node;
  }

  /** Where the request field `member` is read from, checked against what that place can hold. */
  private source(member: Member, placed: Placed, method: string, params: ReadonlySet<string>): { source: Source; wire_name?: string } {
    const at = placed.marker?.site ?? member.site;
    const isParam = params.has(member.name);
    let source: Source;
    let wire: string | undefined;
    if (placed.marker) {
      if (isParam) throw siteError(at, `${member.name} is a path parameter; it cannot also be a ${placed.marker.source}`);
      source = placed.marker.source;
      wire = placed.marker.wireName;
    } else {
      source = isParam ? "Path" : BODILESS.has(method) ? "Query" : "Body";
    }
    if (source === "Body") return { source };

    const where = source === "Path" ? "a path parameter" : `a ${source.toLowerCase()}`;
    if (source === "Path" && (member.optional || placed.optional)) {
      throw siteError(member.site, `${member.name} is a path parameter, which is always present: it cannot be optional`);
    }
    if (placed.nullable) throw siteError(at, `${where} cannot be null: make ${member.name} optional instead`);
    const type = this.model.table.get(placed.type);
    if (!this.fitsText(type, source === "Query")) {
      throw siteError(at, `${member.name} is ${where}, which cannot hold ${kindName(type)}: use a string, number, boolean, literal or enum${source === "Query" ? ", or an array of them" : ""}`);
    }
    return wire === undefined || wire === member.name ? { source } : { source, wire_name: wire };
  }

  private fitsText(type: Type, arrayAllowed: boolean): boolean {
    if (SCALAR_KINDS.has(type.kind)) return true;
    return arrayAllowed && type.kind === "Array" && SCALAR_KINDS.has(this.model.table.get(type.element!).kind);
  }
}

function kindName(type: Type): string {
  return type.kind === "Object" ? "an object" : type.kind === "Array" ? "an array of objects" : `a ${type.kind}`;
}

/** `:name` and `*name` segments of a route. */
function pathParameters(path: string, site: Site): Set<string> {
  const params = new Set<string>();
  for (const segment of path.split("/")) {
    if (!segment.startsWith(":") && !segment.startsWith("*")) continue;
    const name = segment.slice(1);
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw siteError(site, `"${segment}" is not a valid path parameter: write :name`);
    if (params.has(name)) throw siteError(site, `the path parameter :${name} appears twice`);
    params.add(name);
  }
  return params;
}
