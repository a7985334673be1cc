// Keel's type vocabulary (bindings/core/markers.ts), as the generator reads it: by name, from
// the module "keel". The generator never parses markers.ts; its meaning is written down here.

import type { Rule, RuleKind } from "../model.js";
import { describe, siteError, type PrimitiveKind, type Site, type Term, type TypeArgument } from "./terms.js";

type ResolveArgument = (arg: TypeArgument) => Term;

/** Tags taking a number, a string, or nothing, and the kinds of values each may constrain. */
const NUMBER_TAGS: ReadonlySet<string> = new Set(["Min", "Max", "MinLen", "MaxLen"]);
const TEXT_TAGS: ReadonlySet<string> = new Set(["MatchesRegexp", "StartsWith", "EndsWith"]);
const FLAG_TAGS: ReadonlySet<string> = new Set(["IsEmail", "IsURL", "IsInt"]);

const APPLIES_TO: Record<RuleKind | "IsInt", { kinds: readonly (PrimitiveKind | "Array")[]; what: string }> = {
  Min: { kinds: ["Number", "Integer"], what: "numbers" },
  Max: { kinds: ["Number", "Integer"], what: "numbers" },
  MinLen: { kinds: ["String", "Array"], what: "strings and arrays" },
  MaxLen: { kinds: ["String", "Array"], what: "strings and arrays" },
  MatchesRegexp: { kinds: ["String"], what: "strings" },
  StartsWith: { kinds: ["String"], what: "strings" },
  EndsWith: { kinds: ["String"], what: "strings" },
  IsEmail: { kinds: ["String"], what: "strings" },
  IsURL: { kinds: ["String"], what: "strings" },
  IsInt: { kinds: ["Number", "Integer"], what: "numbers" },
};

/** The term for `name<args>` imported from "keel". */
export function keelType(name: string, args: readonly TypeArgument[], site: Site, resolve: ResolveArgument): Term {
  const arity = (min: number, max: number, usage: string) => {
    if (args.length < min || args.length > max) throw siteError(site, `${name} is written ${usage}`);
  };
  const literal = (index: number, type: "string" | "number", usage: string) => {
    const term = resolve(args[index]!);
    if (term.t !== "literal" || typeof term.value !== type) {
      throw siteError(term.site, `${name} takes a ${type} literal, not ${describe(term)}: ${usage}`);
    }
    return term.value as never;
  };

  if (name === "Header" || name === "Cookie") {
    const usage = `${name}<"name"> or ${name}<"name", T>`;
    arity(1, 2, usage);
    const wire: string = literal(0, "string", usage);
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(wire)) throw siteError(site, `"${wire}" is not a valid ${name.toLowerCase()} name`);
    const inner: Term = args[1] ? resolve(args[1]) : { t: "primitive", kind: "String", rules: [], site };
    return { t: "source", source: name, wireName: name === "Header" ? wire.toLowerCase() : wire, inner, site };
  }
  if (name === "Query") {
    arity(1, 1, "Query<T>");
    return { t: "source", source: "Query", inner: resolve(args[0]!), site };
  }
  if (name === "Int") {
    arity(0, 0, "Int");
    return { t: "primitive", kind: "Integer", rules: [], site };
  }
  if (NUMBER_TAGS.has(name)) {
    arity(1, 1, `${name}<n>`);
    const value: number = literal(0, "number", `${name}<n>`);
    if (name !== "Min" && name !== "Max" && (!Number.isInteger(value) || value < 0)) {
      throw siteError(site, `${name} takes a whole number of at least 0, not ${value}`);
    }
    return { t: "tag", name, rule: { kind: name as RuleKind, value }, site };
  }
  if (TEXT_TAGS.has(name)) {
    arity(1, 1, `${name}<"text">`);
    const text: string = literal(0, "string", `${name}<"text">`);
    if (name === "MatchesRegexp") {
      try {
        new RegExp(text, "u");
      } catch {
        // The engine's own message differs between V8 and JavaScriptCore: keep ours stable.
        throw siteError(site, `MatchesRegexp: ${JSON.stringify(text)} is not a valid regular expression`);
      }
    }
    return { t: "tag", name, rule: { kind: name as RuleKind, text }, site };
  }
  if (FLAG_TAGS.has(name)) {
    arity(0, 0, name);
    return name === "IsInt" ? { t: "tag", name, site } : { t: "tag", name, rule: { kind: name as RuleKind }, site };
  }
  throw siteError(site, `${name} from "keel" is not a data type`);
}

/** `base & tag & …`: the base with each tag's rule added, once it is checked to apply. */
export function applyTags(base: Term, tags: readonly Term[]): Term {
  if (tags.length === 0) return base;
  if (base.t !== "primitive" && base.t !== "array") {
    const first = tags[0]!;
    const hint = base.t === "union" ? `: put rules on each variant, as in (string & MaxLen<5>) | (number & Min<10>)` : "";
    throw siteError(first.site, `${describe(first)} cannot constrain ${describe(base)}${hint}`);
  }
  let kind: PrimitiveKind | "Array" = base.t === "primitive" ? base.kind : "Array";
  const rules: Rule[] = [...base.rules];
  for (const tag of tags) {
    if (tag.t !== "tag") continue;
    const applies = APPLIES_TO[(tag.rule?.kind ?? "IsInt") as RuleKind | "IsInt"];
    if (!applies.kinds.includes(kind)) {
      throw siteError(tag.site, `${tag.name} applies to ${applies.what}, not to ${describe(base)}`);
    }
    if (tag.rule) rules.push(tag.rule);
    else kind = "Integer";
  }
  if (base.t === "array") return { ...base, rules };
  return { ...base, kind: kind as PrimitiveKind, rules };
}
