// Helpers for the behaviour suite: servers on a free port, a raw HTTP/1.1 client over `net`
// (for what fetch cannot do: malformed requests, pipelining, hanging up mid-request), and small
// synchronisation tools.

import { existsSync, readFileSync } from "node:fs";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve, type ServeOptions, type Server } from "keel";
import { after, before } from "./harness.js";

/** The repository root, from test/ (Bun) or dist/test/ (Node). */
export const repoRoot = findRepoRoot();

function findRepoRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "keel") return dir;
  }
  throw new Error("test/support.ts: Keel's package.json was not found above the test files.");
}

/** A server on 127.0.0.1 and a free port, plus its base URL (no trailing slash). */
export function startServer(options: ServeOptions): { server: Server; base: string } {
  const server = serve({ hostname: "127.0.0.1", port: 0, ...options });
  return { server, base: `http://127.0.0.1:${server.port}` };
}

/**
 * A server for the enclosing describe block: started before its tests, stopped after them.
 * Read `server` and `base` inside tests (they are set once the block starts).
 */
export function useServer(options: ServeOptions): { readonly server: Server; readonly base: string } {
  let started: { server: Server; base: string } | undefined;
  before(() => void (started = startServer(options)));
  after(() => started?.server.stop());
  return {
    get server() {
      return started!.server;
    },
    get base() {
      return started!.base;
    },
  };
}

/**
 * A port that was free a moment ago, for tests of APIs that take a port number rather than 0.
 * The OS picks it (a random number could fall in the ephemeral range that outgoing
 * connections use, and clash).
 */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", reject);
    probe.listen(0, "0.0.0.0", resolve);
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A response's JSON body, loosely typed for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function json(res: Response): Promise<any> {
  return res.json();
}

/** Resolves once `condition()` holds, checking after each event-loop turn; rejects after `ms`. */
export async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Runs `body` with console.error captured instead of printed. */
export function capturingErrors<T>(body: () => Promise<T>): Promise<{ result: T; logged: unknown[][] }> {
  return capturingConsole("error", body);
}

/** Runs `body` with one console method's output captured instead of printed. */
export async function capturingConsole<T>(method: "error" | "warn", body: () => Promise<T>): Promise<{ result: T; logged: unknown[][] }> {
  const logged: unknown[][] = [];
  const original = console[method];
  console[method] = (...args: unknown[]) => void logged.push(args);
  try {
    return { result: await body(), logged };
  } finally {
    console[method] = original;
  }
}

export interface RawResponse {
  status: number;
  /** Lowercase names; repeated headers keep every value. */
  headers: Map<string, string[]>;
  body: Buffer;
}

/**
 * An HTTP/1.1 connection driven by hand: write any bytes, read responses one by one in order.
 * Responses must carry content-length (as Keel's do) unless the server closes after them.
 */
export class RawConnection {
  private readonly socket: Socket;
  private buffered = Buffer.alloc(0);
  private ended = false;
  private wake: (() => void) | undefined;
  /** Resolves when the server has closed its side. */
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    const ended = deferred();
    this.closed = ended.promise;
    socket.on("data", (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.wake?.();
    });
    const end = () => {
      this.ended = true;
      ended.resolve();
      this.wake?.();
    };
    socket.on("end", end);
    socket.on("close", end);
    socket.on("error", () => {}); // a reset after the server closed is expected in some tests
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port }, () => resolve(new RawConnection(socket)));
      socket.once("error", reject);
    });
  }

  write(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  /** Hangs up without waiting for anything. */
  destroy(): void {
    this.socket.destroy();
  }

  async readResponse(): Promise<RawResponse> {
    const headEnd = await this.waitFor(() => {
      const at = this.buffered.indexOf("\r\n\r\n");
      return at === -1 ? undefined : at;
    }, "a response head");
    const lines = this.buffered.subarray(0, headEnd).toString("latin1").split("\r\n");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1]);
    if (!Number.isInteger(status)) throw new Error(`not an HTTP response: ${JSON.stringify(lines[0])}`);
    const headers = new Map<string, string[]>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim().toLowerCase();
      headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
    }
    if (headers.has("transfer-encoding")) throw new Error("RawConnection does not decode chunked responses");
    const length = headers.get("content-length")?.[0];
    const bodyStart = headEnd + 4;
    const bodyEnd = await this.waitFor(() => {
      if (length !== undefined) return this.buffered.length >= bodyStart + Number(length) ? bodyStart + Number(length) : undefined;
      return this.ended ? this.buffered.length : undefined;
    }, "a response body");
    const body = Buffer.from(this.buffered.subarray(bodyStart, bodyEnd));
    this.buffered = this.buffered.subarray(bodyEnd);
    return { status, headers, body };
  }

  private async waitFor(found: () => number | undefined, what: string): Promise<number> {
    for (;;) {
      const at = found();
      if (at !== undefined) return at;
      if (this.ended) throw new Error(`the connection closed before ${what} arrived`);
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/** Sends `data` on a fresh connection and reads one response. */
export async function rawExchange(port: number, data: string | Uint8Array): Promise<{ response: RawResponse; connection: RawConnection }> {
  const connection = await RawConnection.open(port);
  connection.write(data);
  return { response: await connection.readResponse(), connection };
}

/** A request head plus body, as bytes, with content-length set. */
export function rawRequest(method: string, path: string, headers: Record<string, string> = {}, body = ""): string {
  const lines = [`${method} ${path} HTTP/1.1`, "host: test.local", ...Object.entries(headers).map(([n, v]) => `${n}: ${v}`)];
  if (body !== "" || method === "POST") lines.push(`content-length: ${Buffer.byteLength(body)}`);
  return `${lines.join("\r\n")}\r\n\r\n${body}`;
}
