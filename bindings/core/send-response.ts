// Sends a web `Response` that a handler returned.
//
// The cheap cases are written at once, with no promise: a LightResponse (light-response.ts) or a
// KeptResponse (kept-response.ts, Bun) made with a string or bytes, and any Response without a
// body. A body stream — which is how every other Response body looks from outside — is read by
// response-stream.ts, which sends it whole if it ends at once and streamed otherwise.
//
// A response to HEAD, or with status 204, 205 or 304, has no body: a body stream is cancelled
// unread (an endless one would otherwise be pumped for nothing), and the head goes out alone.
// Those three statuses get no default content type either (an empty string body would).

import { keptBody, keptHeaders } from "./kept-response.js";
import { defaultContentType, realResponse, responseParts } from "./light-response.js";
import type { KeelRequest } from "./request.js";
import type { HeadersLike } from "./response.js";
import { sendBodyStream, type StreamOutput } from "./response-stream.js";

const EMPTY = new Uint8Array(0);

/**
 * Writes `response` as the answer to `req`. Returns undefined once it is written, or a promise
 * that settles when the body has been sent (see sendBodyStream). Throws a TypeError naming the
 * problem when the response cannot be sent (an invalid status or header); nothing is written then.
 */
export function sendResponse(out: StreamOutput, req: KeelRequest, given: Response): Promise<void> | undefined {
  const { writer } = out;
  const parts = responseParts(given);
  if (parts !== undefined) {
    const { status, body } = parts;
    const headers = parts.headers as HeadersLike | undefined;
    if (!(body instanceof ReadableStream)) {
      const type = isNullBodyStatus(status) ? null : defaultContentType(body);
      writer.write(req.idLow, req.idHigh, status, headers, body ?? EMPTY, type);
      return undefined;
    }
    if (!hasBody(req, status)) return headOnly(out, req, status, headers, body);
    return sendBodyStream(out, req, status, headers, body, null);
  }
  // A light Response made real answers from the real one, which may have kept its body.
  const response = realResponse(given) as Response;
  const status = response.status;
  // Headers before body: Bun forgets the content type it derives from a body (URLSearchParams,
  // FormData) when `body` is read first.
  const headers = keptHeaders(response) ?? response.headers;
  const kept = keptBody(response);
  const type = kept === undefined || isNullBodyStatus(status) ? null : kept.defaultContentType;
  if (kept?.body !== undefined) {
    writer.write(req.idLow, req.idHigh, status, headers, kept.body, type);
    return undefined;
  }
  const body = response.body;
  if (body === null) {
    writer.write(req.idLow, req.idHigh, status, headers, EMPTY, null);
    return undefined;
  }
  if (!hasBody(req, status)) return headOnly(out, req, status, headers, body);
  return sendBodyStream(out, req, status, headers, body, type);
}

function isNullBodyStatus(status: number): boolean {
  return status === 204 || status === 205 || status === 304;
}

function hasBody(req: KeelRequest, status: number): boolean {
  return !isNullBodyStatus(status) && req.method !== "HEAD";
}

function headOnly(out: StreamOutput, req: KeelRequest, status: number, headers: HeadersLike | undefined, body: ReadableStream<unknown>): undefined {
  out.writer.write(req.idLow, req.idHigh, status, headers, EMPTY, null);
  body.cancel().catch(() => {});
  return undefined;
}
