// Response bodies that are ReadableStreams, through Keel's own serve(): sent as they are produced,
// held back by a slow client (credit-based flow control), cancelled when the client leaves.

import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { describe, test } from "./harness.js";
import { capturingErrors, deferred, until, useServer } from "./support.js";

const CHUNK = 64 * 1024;
const encoder = new TextEncoder();

/** A producer that never ends: one CHUNK-byte chunk per pull, counting pulls and noting cancel. */
function endless() {
  const state = { pulls: 0, canceled: false, stream: undefined as unknown as ReadableStream<Uint8Array> };
  state.stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      state.pulls++;
      controller.enqueue(new Uint8Array(CHUNK).fill(state.pulls & 0xff));
    },
    cancel() {
      state.canceled = true;
    },
  });
  return state;
}

/** Opens a connection, sends a GET for `path`, and returns the socket (reading paused). */
function rawGet(port: number, path: string): Promise<{ socket: Socket; received: () => number }> {
  return new Promise((resolve, reject) => {
    let received = 0;
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nhost: test.local\r\n\r\n`);
      resolve({ socket, received: () => received });
    });
    socket.on("data", (chunk: Buffer) => void (received += chunk.length));
    socket.on("error", () => {}); // the server closes on us in some tests
    socket.once("error", reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("streamed responses", () => {
  const held = deferred();
  let slow = endless();
  let leaving = endless();
  const signals: AbortSignal[] = [];
  const app = useServer({
    routes: {
      "/held": () =>
        new Response(
          new ReadableStream({
            async start(controller) {
              controller.enqueue(encoder.encode("first;"));
              await held.promise;
              controller.enqueue(encoder.encode("second"));
              controller.close();
            },
          }),
          { headers: { "content-type": "text/plain", "x-streamed": "yes" } },
        ),
      "/at-once": () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(encoder.encode("all "));
              controller.enqueue(encoder.encode("at once"));
              controller.close();
            },
          }),
        ),
      "/big": () => {
        let sent = 0;
        const total = 5 * 1024 * 1024 + 123;
        return new Response(
          new ReadableStream({
            async pull(controller) {
              const size = Math.min(100_000, total - sent);
              controller.enqueue(new Uint8Array(size).map((_, i) => (sent + i) % 251));
              sent += size;
              if (sent === total) controller.close();
              else if (sent % 1_000_000 < 100_000) await sleep(1); // now and then, arrive later
            },
          }),
        );
      },
      "/slow-client": () => new Response((slow = endless()).stream),
      "/leaving": (req) => {
        signals.push(req.signal);
        return new Response((leaving = endless()).stream);
      },
      "/fails-at-once": () =>
        new Response(
          new ReadableStream({
            pull() {
              throw new Error("no data today");
            },
          }),
        ),
      "/fails-later": () =>
        new Response(
          new ReadableStream({
            async pull(controller) {
              controller.enqueue(encoder.encode("partial"));
              await sleep(20);
              controller.error(new Error("lost the source"));
            },
          }),
        ),
      "/strings": () =>
        new Response(
          new ReadableStream({
            async start(controller) {
              controller.enqueue("text ");
              await sleep(5);
              controller.enqueue("chunks");
              controller.close();
            },
          }),
        ),
      "/no-content": () => new Response((slow = endless()).stream, { status: 200 }),
    },
  });

  test("chunks go out as they are produced: the first arrives before the stream ends", async () => {
    const res = await fetch(`${app.base}/held`);
    assert.equal(res.headers.get("x-streamed"), "yes");
    assert.equal(res.headers.get("content-type"), "text/plain");
    const reader = res.body!.getReader();
    assert.equal(new TextDecoder().decode((await reader.read()).value), "first;");
    held.resolve(); // the producer cannot finish before this
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    assert.equal(rest, "second");
  });

  test("a stream that ends at once is sent whole, with a content-length", async () => {
    const res = await fetch(`${app.base}/at-once`);
    assert.equal(res.headers.get("content-length"), "11");
    assert.equal(res.headers.get("transfer-encoding"), null);
    assert.equal(await res.text(), "all at once");
  });

  test("a 5 MiB stream arrives intact, through many windows of credit", async () => {
    const body = new Uint8Array(await (await fetch(`${app.base}/big`)).arrayBuffer());
    assert.equal(body.length, 5 * 1024 * 1024 + 123);
    for (let i = 0; i < body.length; i += 4093) assert.equal(body[i], i % 251, `byte ${i}`);
  });

  test("a client that does not read holds the producer back; reading lets it go on", async () => {
    const client = await rawGet(app.server.port, "/slow-client");
    client.socket.pause(); // nothing more leaves the kernel's buffers
    await sleep(1500);
    const stalled = slow.pulls;
    await sleep(1000);
    // Socket buffers hold a few MiB on loopback; after that, no pull without credit.
    assert.ok(stalled * CHUNK < 64 * 1024 * 1024, `the producer ran ahead by ${stalled} chunks`);
    assert.ok(slow.pulls - stalled <= 4, `the producer went on from ${stalled} to ${slow.pulls} chunks unread`);
    client.socket.resume();
    await until(() => slow.pulls > stalled + 50, "the producer resumes once the client reads");
    client.socket.destroy();
    await until(() => slow.canceled, "the stream is cancelled when the client leaves");
  });

  test("a client that hangs up mid-stream cancels the stream and aborts the signal", async () => {
    const controller = new AbortController();
    const res = await fetch(`${app.base}/leaving`, { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await until(() => leaving.canceled, "the stream is cancelled");
    await until(() => signals.at(-1)?.aborted === true, "the request's signal fires");
  });

  test("HEAD gets the head only; the stream is cancelled unread", async () => {
    const res = await fetch(`${app.base}/no-content`, { method: "HEAD" });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "");
    await until(() => slow.canceled, "the stream is cancelled");
  });

  test("a stream that fails before its first chunk is a 500", async () => {
    const { logged } = await capturingErrors(async () => {
      const res = await fetch(`${app.base}/fails-at-once`);
      assert.equal(res.status, 500);
      assert.deepEqual(await res.json(), { code: "internal", message: "internal error" });
    });
    assert.match(String(logged[0]?.[0]), /a handler threw; answered 500/);
  });

  test("a stream that fails after its head ends the connection: the client sees an error, not a short body", async () => {
    const { logged } = await capturingErrors(async () => {
      const res = await fetch(`${app.base}/fails-later`);
      assert.equal(res.status, 200);
      await assert.rejects(res.text());
    });
    assert.match(String(logged[0]?.[0]), /failed after its head was sent; the connection is closed/);
  });

  test("string chunks are sent as UTF-8", async () => {
    assert.equal(await (await fetch(`${app.base}/strings`)).text(), "text chunks");
  });
});
