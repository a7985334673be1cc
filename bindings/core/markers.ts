// The type-level vocabulary of typed endpoints (docs/TYPED-APIS.md).
//
// None of these types exists at run time. `keel gen` reads them from the app's source by name,
// and TypeScript sees each one as the plain value type intersected with an optional phantom
// property, so a handler reads `req.id` as the number it is while the generator still knows
// that `id` is a header, or that it must be at least 1. The phantom keys are optional and
// never set: no value needs a cast to satisfy them, and they never show up in JSON.

import type { ApiContext } from "./context.js";

// ---------------------------------------------------------------------------------------------
// Where a request field comes from. A field with none of these is a path parameter when it is
// named like one of the path's `:params`, a query parameter for GET, HEAD and DELETE, and a
// property of the JSON body otherwise.

/** The value of the `Name` request header, parsed as `T` (a string by default). */
export type Header<Name extends string, T = string> = T & { readonly __keel_header?: Name };

/** A query-string parameter named like the field; repeated keys form an array. */
export type Query<T> = T & { readonly __keel_query?: true };

/** The value of the cookie `Name`, parsed as `T` (a string by default). */
export type Cookie<Name extends string, T = string> = T & { readonly __keel_cookie?: Name };

// ---------------------------------------------------------------------------------------------
// Validation tags, intersected with the type they constrain: `string & MaxLen<64> & IsEmail`.
// Rust checks them before the handler runs; an invalid request never reaches JavaScript.

/** A number at least `N`. */
export type Min<N extends number> = { readonly __keel_min?: N };
/** A number at most `N`. */
export type Max<N extends number> = { readonly __keel_max?: N };
/** A string (UTF-16 code units, as `length` counts them) or an array with at least `N`. */
export type MinLen<N extends number> = { readonly __keel_min_len?: N };
/** A string (UTF-16 code units) or an array with at most `N`. */
export type MaxLen<N extends number> = { readonly __keel_max_len?: N };
/** A string in which the ECMAScript regular expression `R` finds a match (it is unanchored). */
export type MatchesRegexp<R extends string> = { readonly __keel_matches_regexp?: R };
/** A string that starts with `S`. */
export type StartsWith<S extends string> = { readonly __keel_starts_with?: S };
/** A string that ends with `S`. */
export type EndsWith<S extends string> = { readonly __keel_ends_with?: S };
/** A string that is an e-mail address. */
export type IsEmail = { readonly __keel_is_email?: true };
/** A string that is an absolute URL. */
export type IsURL = { readonly __keel_is_url?: true };
/** A number with no fractional part, within ±2^53: stored as a 64-bit integer. */
export type IsInt = { readonly __keel_is_int?: true };
/** Shorthand for `number & IsInt`. */
export type Int = number & IsInt;

// ---------------------------------------------------------------------------------------------
// Declaring an endpoint. `keel gen` finds every `export const name = api(options, handler)` and
// reads `options` as written (string literals only) and the handler's parameter and return
// type annotations; at run time `api()` (api.ts) only pairs the options with the handler.

export type ApiMethod = "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS" | "*";

export interface ApiOptions {
  /** The HTTP method, or "*" for every method. */
  readonly method: ApiMethod;
  /** The route, with `:name` path parameters: "/blog/:id". */
  readonly path: string;
  /**
   * A fetch-style endpoint: no schema; the handler gets the raw KeelRequest and answers like a
   * `fetch` handler (a Response, or `{ status, headers, body }`). Off by default.
   */
  readonly raw?: boolean;
}

/**
 * A typed handler: the decoded request (validated before the handler runs) and the call's
 * context; it returns the response body, sent as JSON. A handler that takes no request is
 * written `async (): Promise<Res> => …`, or `async (_: void, ctx): Promise<Res> => …`.
 */
export type ApiHandler<Req, Res> = (req: Req, ctx: ApiContext) => Promise<Res> | Res;

/** What `api()` returns: the endpoint's declaration, with its handler. */
export interface ApiEndpoint<Req, Res> {
  readonly options: ApiOptions;
  readonly handler: ApiHandler<Req, Res>;
}

/** The signature of `api()`. A handler with no parameter takes no request. */
export type Api = <Req = void, Res = void>(options: ApiOptions, handler: ApiHandler<Req, Res>) => ApiEndpoint<Req, Res>;
