// Terms: TypeScript types with every name resolved, before they are placed in the model.
//
// Resolution is shallow on purpose: an object term lists its members with their type nodes
// still unresolved (each with the environment it must be read in), so that Partial, Pick, Omit
// and `extends` can rearrange members without looking inside them, and a recursive type is
// caught where it recurses (when the model is built) instead of looping here.

import type { Span, TsType } from "@swc/core";
import type { ModuleInfo } from "../parse/module-graph.js";
import type { Rule } from "../model.js";

/** Where a term was written, for messages. */
export interface Site {
  readonly module: ModuleInfo;
  readonly span: Span;
}

/**
 * The scope a type node is read in: its module, and the type arguments bound to the generic
 * parameters of the declarations around it. An argument is itself read in the caller's scope.
 */
export interface Env {
  readonly module: ModuleInfo;
  readonly params: ReadonlyMap<string, TypeArgument>;
}

export interface TypeArgument {
  readonly node: TsType;
  readonly env: Env;
}

export interface Member {
  readonly name: string;
  readonly optional: boolean;
  readonly node: TsType;
  readonly env: Env;
  readonly site: Site;
}

export type PrimitiveKind = "String" | "Number" | "Integer" | "Boolean" | "Date";
export type RequestSource = "Header" | "Query" | "Cookie";

export type Term =
  | { readonly t: "primitive"; readonly kind: PrimitiveKind; readonly rules: readonly Rule[]; readonly site: Site }
  | { readonly t: "literal"; readonly value: string | number | boolean; readonly site: Site }
  | { readonly t: "null"; readonly site: Site }
  | { readonly t: "undefined"; readonly site: Site }
  /** A validation tag (`Min<1>`, `IsInt`): only meaningful inside an intersection. */
  | { readonly t: "tag"; readonly name: string; readonly rule?: Rule; readonly site: Site }
  /** `Header<…>`, `Query<…>`, `Cookie<…>` around the field's value type. */
  | {
      readonly t: "source";
      readonly source: RequestSource;
      readonly wireName?: string;
      readonly inner: Term;
      readonly site: Site;
    }
  | { readonly t: "object"; readonly name?: string; readonly members: readonly Member[]; readonly site: Site }
  | { readonly t: "array"; readonly element: Term; readonly rules: readonly Rule[]; readonly site: Site }
  | { readonly t: "record"; readonly name?: string; readonly value: Term; readonly site: Site }
  /** Members as written; nested unions are flattened only when the model is built. */
  | { readonly t: "union"; readonly name?: string; readonly members: readonly Term[]; readonly site: Site };

/** Gives a declared name to a term that can carry one and does not have one yet. */
export function named(term: Term, name: string): Term {
  if ((term.t === "object" || term.t === "record" || term.t === "union") && term.name === undefined) {
    return { ...term, name };
  }
  return term;
}

/** How a term is described in messages. */
export function describe(term: Term): string {
  switch (term.t) {
    case "primitive":
      return term.kind === "Integer" ? "an integer" : term.kind === "Date" ? "a Date" : `a ${term.kind.toLowerCase()}`;
    case "literal":
      return `the literal ${JSON.stringify(term.value)}`;
    case "null":
      return "null";
    case "undefined":
      return "undefined";
    case "tag":
      return `the tag ${term.name}`;
    case "source":
      return `a ${term.source}<…>`;
    case "object":
      return term.name ? `the object type ${term.name}` : "an object type";
    case "array":
      return "an array";
    case "record":
      return "a Record";
    case "union":
      return term.name ? `the union ${term.name}` : "a union";
  }
}

export function siteError(site: Site, detail: string) {
  return site.module.file.error(site.span, detail);
}
