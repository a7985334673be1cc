// Errors a handler throws on purpose. Keel answers them with the error's status and the JSON
// body `{code, message, details}`, the same shape Rust uses for the errors it answers itself.

/** Error codes and the HTTP status each one is answered with (DESIGN.md, "Errors"). */
export const ERROR_STATUS = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  already_exists: 409,
  resource_exhausted: 429,
  canceled: 499,
  internal: 500,
  unimplemented: 501,
  unavailable: 503,
  deadline_exceeded: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/**
 * Throw one from a handler to answer with a specific error:
 * `throw new APIError("not_found", "no such user", { id })` → 404 and its JSON body.
 */
export class APIError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    if (!Object.hasOwn(ERROR_STATUS, code)) {
      const known = Object.keys(ERROR_STATUS).join(", ");
      throw new TypeError(`APIError: unknown code ${JSON.stringify(code)}; use one of ${known}.`);
    }
    super(message);
    this.name = "APIError";
    this.code = code;
    this.details = details;
  }

  /** The HTTP status this error is answered with. */
  get status(): number {
    return ERROR_STATUS[this.code];
  }

  /** The response body; `details` is left out when there are none. */
  toJSON(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.details !== undefined) body.details = this.details;
    return body;
  }
}

/** What a client sees for any throw that is not an APIError: no message or stack leaks. */
export const INTERNAL_ERROR_BODY = '{"code":"internal","message":"internal error"}';
