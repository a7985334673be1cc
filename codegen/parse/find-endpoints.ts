// Finds the endpoints of an app: every `export const name = api(options, handler)` in the entry
// file and in the files it loads at run time (value imports and re-exports, transitively).
// The options are read as written; the handler contributes its parameter and return types.

import type { CallExpression, Expression, ObjectExpression, Span, TsType } from "@swc/core";
import type { ModuleGraph, ModuleInfo } from "./module-graph.js";

export interface EndpointDeclaration {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly raw: boolean;
  readonly module: ModuleInfo;
  /** The `export const` declarator, for Endpoint.file/line. */
  readonly span: Span;
  /** The path string, for errors about path parameters. */
  readonly pathSpan: Span;
  /** The handler's parameter type; undefined when it takes none. */
  readonly request?: TsType;
  /** The handler's declared return type (Promise<T>, T or void), before unwrapping. */
  readonly response?: TsType;
  /** The handler, for errors about a missing annotation. */
  readonly handlerSpan: Span;
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "*"]);

/** A node's span; SWC's type definitions leave it off a few node types that do have one. */
function spanOf(node: object, fallback: Span): Span {
  return (node as { span?: Span }).span ?? fallback;
}

export function findEndpoints(graph: ModuleGraph, entry: string): EndpointDeclaration[] {
  const endpoints: EndpointDeclaration[] = [];
  const visited = new Set<string>();
  const visit = (path: string) => {
    if (visited.has(path)) return;
    visited.add(path);
    const module = graph.module(path);
    endpoints.push(...endpointsIn(module));
    for (const ref of module.runtimeImports) if (ref.kind === "file") visit(ref.path);
  };
  visit(entry);
  return endpoints;
}

function endpointsIn(module: ModuleInfo): EndpointDeclaration[] {
  const found: EndpointDeclaration[] = [];
  for (const item of module.file.body) {
    const exported = item.type === "ExportDeclaration";
    const declaration = exported ? item.declaration : item;
    if (declaration.type !== "VariableDeclaration") continue;
    for (const declarator of declaration.declarations) {
      const call = declarator.init;
      if (call?.type !== "CallExpression" || !isApi(module, call)) continue;
      if (declarator.id.type !== "Identifier") {
        throw module.file.error(declarator.span, "declare an endpoint as `export const name = api(…)`");
      }
      if (!exported || declaration.kind !== "const") {
        throw module.file.error(declarator.span, `export the endpoint as a const: export const ${declarator.id.value} = api(…)`);
      }
      found.push(readEndpoint(module, declarator.id.value, declarator.span, call));
    }
  }
  return found;
}

/** Whether `call` calls the `api` exported by Keel (under whatever local name it was imported). */
function isApi(module: ModuleInfo, call: CallExpression): boolean {
  if (call.callee.type !== "Identifier") return false;
  const binding = module.imports.get(call.callee.value);
  return binding?.from.kind === "keel" && binding.imported === "api";
}

function readEndpoint(module: ModuleInfo, name: string, span: Span, call: CallExpression): EndpointDeclaration {
  const file = module.file;
  const [optionsArg, handlerArg, extra] = call.arguments;
  if (!optionsArg || !handlerArg || extra || optionsArg.spread || handlerArg.spread) {
    throw file.error(call.span, "api() takes two arguments: api({ method, path }, handler)");
  }
  if (optionsArg.expression.type !== "ObjectExpression") {
    throw file.error(spanOf(optionsArg.expression, call.span), "write api()'s options inline: api({ method: \"GET\", path: \"/…\" }, handler)");
  }
  const options = readOptions(module, optionsArg.expression);
  const handler = unwrap(handlerArg.expression);
  if (handler.type !== "ArrowFunctionExpression" && handler.type !== "FunctionExpression") {
    throw file.error(spanOf(handler, call.span), "write the handler inline as a function: api(options, async (req: Request): Promise<Response> => …)");
  }
  const params = handler.type === "ArrowFunctionExpression" ? handler.params : handler.params.map((param) => param.pat);
  // The second parameter is the call's context (ApiContext in the bindings): it has no schema.
  if (params.length > 2) {
    throw file.error(spanOf(params[2]!, handler.span), "a handler takes the request and, optionally, the context: (req, ctx)");
  }
  const [typeArgRequest, typeArgResponse] = call.typeArguments?.params ?? [];

  let request: TsType | undefined;
  const param = params[0];
  if (param) {
    const annotation = (param as { typeAnnotation?: { typeAnnotation: TsType } | null }).typeAnnotation?.typeAnnotation;
    request = annotation ?? typeArgRequest;
    // `(_: void, ctx) => …`: no request, but the handler wants its context.
    if (request && isVoid(request)) request = undefined;
    else if (!request && !options.raw) {
      throw file.error(spanOf(param, handler.span), "annotate the handler's parameter with the request type: (req: MyRequest) => …");
    }
  } else if (typeArgRequest && !isVoid(typeArgRequest)) {
    throw file.error(typeArgRequest.span, "api<Req, …> names a request type but the handler takes no parameter");
  }
  const response = handler.returnType?.typeAnnotation ?? typeArgResponse;
  if (!response && !options.raw) {
    throw file.error(handler.span, "annotate the handler's return type: (…): Promise<MyResponse> => …, or Promise<void> when it returns nothing");
  }
  return { name, ...options, module, span, request, response, handlerSpan: handler.span };
}

function isVoid(type: TsType): boolean {
  return type.type === "TsKeywordType" && type.kind === "void";
}

/** `(async (…) => …)` is still the handler. */
function unwrap(expression: Expression): Expression {
  if (expression.type === "ParenthesisExpression") return unwrap(expression.expression);
  return expression;
}

function readOptions(module: ModuleInfo, object: ObjectExpression) {
  const file = module.file;
  let method: string | undefined;
  let path: string | undefined;
  let pathSpan: Span | undefined;
  let raw = false;
  for (const property of object.properties) {
    if (property.type !== "KeyValueProperty" || (property.key.type !== "Identifier" && property.key.type !== "StringLiteral")) {
      throw file.error(spanOf(property.type === "SpreadElement" ? property.arguments : property, object.span), "write each api() option as `name: value`");
    }
    const key = property.key.value;
    const value = property.value;
    if (key === "method" || key === "path") {
      if (value.type !== "StringLiteral") throw file.error(spanOf(value, property.key.span), `api()'s ${key} must be a string literal`);
      if (key === "method") {
        method = value.value;
        if (!METHODS.has(method)) throw file.error(value.span, `unknown method "${method}": use one of ${[...METHODS].join(", ")}`);
      } else {
        path = value.value;
        pathSpan = value.span;
        if (!path.startsWith("/")) throw file.error(value.span, `a path starts with "/": "/${path}"`);
      }
    } else if (key === "raw") {
      if (value.type !== "BooleanLiteral") throw file.error(spanOf(value, property.key.span), "api()'s raw must be true or false");
      raw = value.value;
    } else {
      throw file.error(property.key.span, `unknown api() option "${key}": the options are method, path and raw`);
    }
  }
  if (method === undefined || path === undefined || pathSpan === undefined) {
    throw file.error(object.span, `api() needs ${method === undefined ? "a method" : "a path"}: api({ method: "GET", path: "/…" }, handler)`);
  }
  return { method, path, pathSpan, raw };
}
