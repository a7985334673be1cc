// Calls handlers and sends what they answer.
//
// A fetch-style handler gets the request and the server and answers with a Response or a
// `{ status, headers, body }`. An api() endpoint's handler gets its typed request, read lazily
// from the payload in the ring, and an ApiContext; what it returns is sent as JSON with the
// context's status and headers.
//
// A synchronous answer is written into the response buffer at once and committed with the rest
// of the batch; so is, on Bun, a promise that has already fulfilled (Bun.peek). An asynchronous
// one (a promise, or a Response whose body must be awaited) is tracked by request id until it
// settles, so that a CANCEL frame can find it: the request's signal fires and whatever it
// answers later is not written at all. A Response whose body is a stream stays tracked until the
// body is sent, so that CREDIT frames reach it.

import type { EndpointEntry } from "./config.js";
import { ApiContext } from "./context.js";
import { APIError, INTERNAL_ERROR_BODY } from "./errors.js";
import { InflightTable } from "./inflight.js";
import type { KeelRequest } from "./request.js";
import type { ResponseLike, ResponseWriter } from "./response.js";
import { DEFAULT_STREAM_WINDOW_BYTES, type StreamOutput } from "./response-stream.js";
import { sendResponse } from "./send-response.js";
import type { TypedRoute } from "./typed-app.js";
import type { ErrorHandler, Server } from "./types.js";
import { enterLightScope, leaveLightScope } from "./web-globals.js";

const APPLICATION_JSON = "application/json";

export interface DispatcherOptions {
  /** serve({ error }): answers for handlers that threw. */
  onError?: ErrorHandler;
  /** Body bytes a streamed response may send ahead of the socket. */
  streamWindowBytes?: number;
  /** Run handlers with LightResponse as the global Response (web-globals.ts). Default false. */
  lightResponses?: boolean;
}

export class Dispatcher {
  /** By endpoint id. Read per request: serve() may swap entries (see disableTypedRoutes). */
  private readonly endpoints: ReadonlyArray<EndpointEntry | undefined>;
  private readonly server: Server;
  private readonly writer: ResponseWriter;
  private readonly onError: ErrorHandler | undefined;
  /** Whether handlers run with LightResponse as the global Response (web-globals.ts). */
  private readonly lightResponses: boolean;
  /** Requests with an answer still to come. */
  private readonly inflight = new InflightTable();
  private flushQueued = false;
  /** Where web Responses are sent (see send-response.ts). */
  private readonly responses: StreamOutput;

  constructor(
    endpoints: ReadonlyArray<EndpointEntry | undefined>,
    server: Server,
    writer: ResponseWriter,
    { onError, streamWindowBytes = DEFAULT_STREAM_WINDOW_BYTES, lightResponses = false }: DispatcherOptions = {},
  ) {
    this.endpoints = endpoints;
    this.server = server;
    this.writer = writer;
    this.onError = onError;
    this.lightResponses = lightResponses;
    this.responses = { writer, windowBytes: streamWindowBytes, flushSoon: () => this.flushSoon() };
  }

  /** Requests whose answer is still to come. */
  get pending(): number {
    return this.inflight.size;
  }

  /** Runs the handler for `endpoint`. On return, `req.settled` tells whether it is done. */
  dispatch(req: KeelRequest, endpoint: number): void {
    const entry = this.endpoints[endpoint];
    let result: unknown;
    // The handler's synchronous part, and an error handler called from it, make light Responses.
    const outside = this.lightResponses ? enterLightScope() : undefined;
    try {
      if (entry === undefined) throw new Error(`Keel received a request for endpoint ${endpoint}, which has no handler.`);
      result = typeof entry === "function" ? entry(req, this.server) : callApi(entry, req);
    } catch (error) {
      req.settled = true;
      this.fail(req, error, true);
      return;
    } finally {
      leaveLightScope(outside);
    }
    if (isPromiseLike(result)) {
      const value = fulfilledValue(result);
      if (value === NOT_YET) {
        this.inflight.add(req);
        void this.answerLater(req, result, true);
        return;
      }
      result = value;
    }
    req.settled = true;
    this.answer(req, result, true);
  }

  /** The client of request (idLow, idHigh) went away. Unknown ids are already answered. */
  cancel(idLow: number, idHigh: number): void {
    const req = this.inflight.get(idLow, idHigh);
    if (req === undefined) return;
    this.inflight.delete(req);
    req.cancel();
  }

  /** Rust credited `bytes` to the streamed response of request (idLow, idHigh). */
  credit(idLow: number, idHigh: number, bytes: number): void {
    this.inflight.get(idLow, idHigh)?.responseStream?.credit(bytes);
  }

  /** The runtime is gone: every request still waiting for an answer is canceled. */
  cancelAll(): void {
    for (const req of this.inflight.takeAll()) req.cancel();
  }

  /**
   * Sends `result`, the value a handler (or, when `fromHandler` is false, the error handler)
   * answered with. Failures to send it become error responses.
   */
  private answer(req: KeelRequest, result: unknown, fromHandler: boolean): void {
    if (req.canceled) return;
    const context = req.context;
    if (context !== undefined && fromHandler) return this.answerJson(req, context, result);
    if (result instanceof Response) return this.answerWithResponse(req, result, fromHandler);
    try {
      this.writer.writeResponseLike(req.idLow, req.idHigh, result as ResponseLike);
    } catch (error) {
      this.fail(req, error, fromHandler);
    }
  }

  /**
   * A typed handler's result: JSON (nothing for `undefined`), with the context's status and
   * headers. Written by the endpoint's generated writer when it takes the value (an
   * accessors.js older than the writers has none), else by JSON.stringify: the same bytes.
   */
  private answerJson(req: KeelRequest, context: ApiContext, result: unknown): void {
    try {
      const jsonWriter = context.jsonWriter;
      if (jsonWriter !== null && result !== undefined) {
        if (this.writer.writeJson(req.idLow, req.idHigh, context.status, context.responseHeaders, result, jsonWriter)) return;
      }
      let body = "";
      let type: string | null = null;
      if (result !== undefined) {
        const json = JSON.stringify(result);
        if (json === undefined) throw new TypeError(`A typed handler returned ${typeof result}, which cannot be sent as JSON.`);
        body = json;
        type = APPLICATION_JSON;
      }
      this.writer.write(req.idLow, req.idHigh, context.status, context.responseHeaders, body, type);
    } catch (error) {
      this.fail(req, error, true);
    }
  }

  private async answerLater(req: KeelRequest, pending: PromiseLike<unknown>, fromHandler: boolean): Promise<void> {
    let result: unknown;
    try {
      result = await pending;
    } catch (error) {
      req.settled = true;
      this.settle(req);
      this.fail(req, error, fromHandler);
      return;
    }
    req.settled = true;
    this.settle(req);
    this.answer(req, result, fromHandler);
  }

  /** A web Response: written now when its body is at hand, else tracked until its body is sent. */
  private answerWithResponse(req: KeelRequest, response: Response, fromHandler: boolean): void {
    let sending: Promise<void> | undefined;
    try {
      sending = sendResponse(this.responses, req, response);
    } catch (error) {
      return this.fail(req, error, fromHandler);
    }
    if (sending === undefined) return;
    // The body is still being read (a stream may read the request too): keep the request
    // readable past this batch, and reachable by CANCEL and CREDIT frames.
    req.settled = false;
    this.inflight.add(req);
    sending.then(
      () => {
        req.settled = true;
        this.settle(req);
      },
      (error: unknown) => {
        req.settled = true;
        this.settle(req);
        this.fail(req, error, fromHandler);
      },
    );
  }

  /**
   * Answers a throw: an APIError with its status and JSON body; anything else is logged once
   * and handed to the error handler if there is one, else answered 500 without details.
   */
  private fail(req: KeelRequest, error: unknown, fromHandler: boolean): void {
    if (req.canceled) return;
    if (error instanceof APIError) return this.answerApiError(req, error);
    if (fromHandler && this.onError !== undefined) return this.askErrorHandler(req, error, this.onError);
    console.error(
      fromHandler ? "keel: a handler threw; answered 500." : "keel: serve({ error }) failed too; answered 500.",
      error,
    );
    this.answerInternalError(req);
  }

  private answerApiError(req: KeelRequest, error: APIError): void {
    let body: string;
    try {
      body = JSON.stringify(error);
    } catch (unserializable) {
      console.error("keel: an APIError's details cannot be sent as JSON; answered 500.", unserializable);
      return this.answerInternalError(req);
    }
    // Headers a typed handler set go out with its APIError too (a www-authenticate with a 401).
    this.writer.write(req.idLow, req.idHigh, error.status, req.context?.responseHeaders, body, APPLICATION_JSON);
  }

  private askErrorHandler(req: KeelRequest, error: unknown, onError: ErrorHandler): void {
    console.error("keel: a handler threw; passing the error to serve({ error }).", error);
    let result: unknown;
    try {
      result = onError(error);
    } catch (handlerError) {
      return this.fail(req, handlerError, false);
    }
    if (isPromiseLike(result)) {
      this.inflight.add(req);
      void this.answerLater(req, result, false);
    } else {
      this.answer(req, result, false);
    }
  }

  private answerInternalError(req: KeelRequest): void {
    this.writer.write(req.idLow, req.idHigh, 500, undefined, INTERNAL_ERROR_BODY, APPLICATION_JSON);
  }

  /** An asynchronous answer arrived: stop tracking it and commit it soon, with its neighbours. */
  private settle(req: KeelRequest): void {
    this.inflight.delete(req);
    this.flushSoon();
  }

  /** Commits what was written, once, after the current microtasks. */
  private flushSoon(): void {
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushAnswers);
    }
  }

  private readonly flushAnswers = (): void => {
    this.flushQueued = false;
    this.writer.flush();
  };
}

/**
 * Calls an api() endpoint's handler with its typed request and a context. For a typed (not raw)
 * endpoint the context is kept on the request: `answer` sends the result as JSON with it.
 */
function callApi(route: TypedRoute, req: KeelRequest): unknown {
  const context = new ApiContext(req);
  if (route.raw) return route.handler(req, context);
  req.context = context;
  context.jsonWriter = route.writeResponse;
  const readRequest = route.readRequest;
  if (readRequest === null) return route.handler(undefined, context);
  // The envelope is the accessors' memory: when the request is detached from the ring, the
  // typed request the handler holds reads the copy (see RequestEnvelope).
  const envelope = req.envelope;
  const start = envelope.payloadStart;
  if (start >= 0) return route.handler(readRequest(envelope, start), context);
  // Too large for a ring frame, the payload came the way a large body does, as a copy of its own.
  const spilled = req.takeSpilledPayload();
  if (spilled === null) throw new Error(`Keel: a request for typed endpoint "${route.name}" arrived without its payload.`);
  const memory = { bytes: spilled, view: new DataView(spilled.buffer, spilled.byteOffset, spilled.byteLength), base: 0 };
  return route.handler(readRequest(memory, 0), context);
}

/** Bun's way to read a promise's outcome without waiting for a microtask. */
interface Peek {
  (promise: Promise<unknown>): unknown;
  status(promise: Promise<unknown>): "pending" | "fulfilled" | "rejected";
}
const peek = (globalThis as { Bun?: { peek?: Peek } }).Bun?.peek;
const NOT_YET = Symbol("keel.notYet");

/**
 * The value of a promise that has already fulfilled, read at once where the runtime can (Bun):
 * an async handler that never awaited — most typed handlers — is then answered with the batch,
 * like a synchronous one, instead of after a microtask and a round through the in-flight table.
 * NOT_YET otherwise (pending, rejected, a thenable that is not a Promise, or Node).
 */
function fulfilledValue(value: PromiseLike<unknown>): unknown {
  if (peek === undefined || !(value instanceof Promise) || peek.status(value) !== "fulfilled") return NOT_YET;
  return peek(value);
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
