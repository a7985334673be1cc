// Sends a ReadableStream body as a streamed response (docs/ARCHITECTURE.md, "Streamed responses").
//
// First, whatever the stream has ready at once is gathered. A body that ends within that — a
// buffered body read as a stream, which is what every Response body looks like from outside —
// goes out as one whole frame, with a content-length, like a string body. Otherwise the head goes
// out with the bytes gathered (at once even if there are none, so that an event stream's client
// sees its headers), and every later chunk follows as soon as it is read.
//
// Flow control: at most `windowBytes` may be sent and not yet credited by Rust. While that many
// are outstanding the stream is not read, so a slow client holds the producer back (a
// ReadableStream pulls only as far as its reader reads) instead of filling memory. A chunk larger
// than the room left is sent in pieces.
//
// Cancellation: when the client goes away, Rust sends CANCEL and the request's `cancel()` calls
// ours: the reader is cancelled, which cancels the body stream and ends a pending read; nothing
// more is sent.

import type { KeelRequest } from "./request.js";
import { FrameFlags, type HeadersLike, type ResponseWriter } from "./response.js";

/** Bytes JS may send ahead of the socket per stream, when the config does not say (Rust's default). */
export const DEFAULT_STREAM_WINDOW_BYTES = 256 * 1024;

/** What a request's streamed response hears from the consumer loop. */
export interface ResponseStreamControl {
  /** Rust credited `bytes`: the socket took them. */
  credit(bytes: number): void;
  /** The client went away. */
  cancel(): void;
}

/** Where streamed responses are written. */
export interface StreamOutput {
  readonly writer: ResponseWriter;
  readonly windowBytes: number;
  /** Commits what was written soon (once, for everything written in this turn). */
  flushSoon(): void;
}

/**
 * Sends `body` as the response to `req`, with `defaultContentType` unless the headers carry one.
 * Resolves once the response is complete or the client left; rejects, with nothing written, if
 * the stream fails before anything was sent.
 */
export function sendBodyStream(
  out: StreamOutput,
  req: KeelRequest,
  status: number,
  headers: HeadersLike | undefined,
  body: ReadableStream<unknown>,
  defaultContentType: string | null,
): Promise<void> {
  const reader = body.getReader() as ReadableStreamDefaultReader<unknown>;
  return new StreamedResponse(out, req, reader, defaultContentType).send(status, headers);
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
/** A read that did not settle in time. */
const LATER = Symbol("later");
type Read = Awaited<ReturnType<ReadableStreamDefaultReader<unknown>["read"]>>;

class StreamedResponse implements ResponseStreamControl {
  private readonly out: StreamOutput;
  private readonly req: KeelRequest;
  private readonly reader: ReadableStreamDefaultReader<unknown>;
  private readonly defaultContentType: string | null;
  /** Body bytes written in frames, and how many of them Rust has credited. */
  private sent = 0;
  private credited = 0;
  private headSent = false;
  private canceled = false;
  /** Resumes a send waiting for credit (or for cancellation). */
  private resume: (() => void) | undefined;

  constructor(out: StreamOutput, req: KeelRequest, reader: ReadableStreamDefaultReader<unknown>, defaultContentType: string | null) {
    this.out = out;
    this.req = req;
    this.reader = reader;
    this.defaultContentType = defaultContentType;
  }

  credit(bytes: number): void {
    this.credited += bytes;
    this.wake();
  }

  cancel(): void {
    if (this.canceled) return;
    this.canceled = true;
    this.reader.cancel(new DOMException("The client closed the connection.", "AbortError")).catch(() => {});
    this.wake();
  }

  async send(status: number, headers: HeadersLike | undefined): Promise<void> {
    this.req.responseStream = this;
    try {
      await this.sendFrom(status, headers);
    } catch (error) {
      if (this.canceled) return; // cancelling the reader may fail a pending read; nobody is listening
      if (!this.headSent) throw error;
      console.error("keel: a response body stream failed after its head was sent; the connection is closed.", error);
      this.abort();
    } finally {
      this.req.responseStream = undefined;
    }
  }

  private async sendFrom(status: number, headers: HeadersLike | undefined): Promise<void> {
    const { writer, windowBytes } = this.out;
    const { idLow, idHigh } = this.req;
    // Gather what is ready now, up to a window.
    const ready: Uint8Array[] = [];
    let readyBytes = 0;
    let pending: Promise<Read> | undefined;
    while (readyBytes < windowBytes) {
      const read = this.reader.read();
      let result = await settledSoon(read);
      // Something came at once: give the end one more event-loop turn to show up.
      if (result === LATER && ready.length > 0) result = await settledThisTurn(read);
      if (this.canceled) return;
      if (result === LATER) {
        pending = read;
        break;
      }
      if (result.done) {
        writer.write(idLow, idHigh, status, headers, concat(ready, readyBytes), this.defaultContentType);
        return;
      }
      const chunk = toBytes(result.value);
      ready.push(chunk);
      readyBytes += chunk.length;
    }

    // A stream, then: the head with (at most a window of) what is ready, the rest as chunks.
    const gathered = concat(ready, readyBytes);
    const first = gathered.subarray(0, windowBytes);
    writer.write(idLow, idHigh, status, headers, first, this.defaultContentType, FrameFlags.Stream);
    this.headSent = true;
    this.sent = first.length;
    this.out.flushSoon();
    await this.sendChunk(gathered.subarray(first.length));

    for (;;) {
      if (!(await this.waitForRoom())) return;
      const result = await (pending ?? this.reader.read());
      pending = undefined;
      if (this.canceled) return;
      if (result.done) {
        writer.writeChunk(idLow, idHigh, EMPTY, true);
        this.out.flushSoon();
        return;
      }
      await this.sendChunk(toBytes(result.value));
    }
  }

  /** Writes `bytes` as CHUNK frames, waiting for credit whenever the window is full. */
  private async sendChunk(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length; ) {
      if (!(await this.waitForRoom())) return;
      const room = this.out.windowBytes - (this.sent - this.credited);
      const piece = bytes.subarray(at, at + room);
      this.out.writer.writeChunk(this.req.idLow, this.req.idHigh, piece, false);
      this.sent += piece.length;
      at += piece.length;
      this.out.flushSoon();
    }
  }

  /** Resolves true once the window has room, false if the client left meanwhile. */
  private async waitForRoom(): Promise<boolean> {
    while (!this.canceled && this.sent - this.credited >= this.out.windowBytes) {
      await new Promise<void>((resolve) => (this.resume = resolve));
    }
    return !this.canceled;
  }

  private wake(): void {
    const resume = this.resume;
    this.resume = undefined;
    resume?.();
  }

  /**
   * Ends the response so that the client sees it fail rather than complete: an ABORT frame makes
   * Rust fail the body and close the connection without the terminating chunk.
   */
  private abort(): void {
    this.out.writer.writeAbort(this.req.idLow, this.req.idHigh);
    this.out.flushSoon();
  }
}

/** The read's result if it settles within a few microtasks (a buffered body does), else LATER. */
function settledSoon(read: Promise<Read>): Promise<Read | typeof LATER> {
  const soon = Promise.resolve()
    .then(() => undefined)
    .then((): typeof LATER => LATER);
  return Promise.race([read, soon]);
}

/** The read's result if it settles before the event loop's next turn, else LATER. */
function settledThisTurn(read: Promise<Read>): Promise<Read | typeof LATER> {
  return Promise.race([read, new Promise<typeof LATER>((resolve) => setImmediate(resolve, LATER))]);
}

/** A chunk as bytes: Uint8Array as it is, other buffers viewed, strings as UTF-8 (as Bun allows). */
function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === "string") return encoder.encode(value);
  throw new TypeError(`A response body stream yielded ${value === null ? "null" : typeof value}; it must yield Uint8Array chunks.`);
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  if (chunks.length === 0) return EMPTY;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
