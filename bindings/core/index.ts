// The public surface shared by every runtime's entry point (which adds `serve`).

export { api } from "./api.js";
export type { ApiContext } from "./context.js";
export { APIError, ERROR_STATUS, type ErrorBody, type ErrorCode } from "./errors.js";
export type { RequestHeaders } from "./headers.js";
export type { KeelRequest } from "./request.js";
export type { HeadersLike, ResponseLike } from "./response.js";
export type {
  Engine,
  ErrorHandler,
  Handler,
  HandlerResult,
  Method,
  RouteHandler,
  ServeOptions,
  Server,
  StopOptions,
} from "./types.js";
export type {
  Api,
  ApiEndpoint,
  ApiHandler,
  ApiMethod,
  ApiOptions,
  Cookie,
  EndsWith,
  Header,
  Int,
  IsEmail,
  IsInt,
  IsURL,
  MatchesRegexp,
  Max,
  MaxLen,
  Min,
  MinLen,
  Query,
  StartsWith,
} from "./markers.js";
