// Connections: keep-alive, pipelining, many requests in flight, clients that hang up.

import assert from "node:assert/strict";
import type { KeelRequest } from "keel";
import { describe, test } from "./harness.js";
import { deferred, json, RawConnection, rawRequest, until, useServer } from "./support.js";

describe("connections", () => {
  /** Requests parked in /hang, by id, with a way to let each one answer. */
  const hanging = new Map<string, { req: KeelRequest; release: () => void }>();
  let arrived = deferred<string>();

  /** Sends GET /hang/:id on a raw connection; resolves once its handler is running. */
  async function hang(id: string) {
    arrived = deferred<string>();
    const connection = await RawConnection.open(app.server.port);
    connection.write(rawRequest("GET", `/hang/${id}`));
    const { req, release } = hanging.get(await arrived.promise)!;
    return { connection, req, release };
  }

  const app = useServer({
    routes: {
      "/id/:id": async (req) => {
        // Answer out of order: later requests often finish first.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
        return { body: { id: req.params.id, query: new URL(req.url).searchParams.get("q") } };
      },
      "/hang/:id": (req) => {
        const id = req.params.id!;
        const answered = deferred();
        hanging.set(id, { req, release: () => answered.resolve() });
        arrived.resolve(id);
        return answered.promise.then(() => ({ body: "late" }));
      },
      "/plain": () => ({ body: "plain" }),
    },
  });

  test("keep-alive: several requests on one connection", async () => {
    const connection = await RawConnection.open(app.server.port);
    for (let i = 0; i < 3; i++) {
      connection.write(rawRequest("GET", `/id/${i}`));
      const response = await connection.readResponse();
      assert.equal(response.status, 200);
      assert.equal(JSON.parse(response.body.toString()).id, String(i));
    }
    connection.destroy();
  });

  test("pipelining: two requests in one write are answered in order", async () => {
    const connection = await RawConnection.open(app.server.port);
    connection.write(rawRequest("GET", "/id/first") + rawRequest("GET", "/plain"));
    const first = await connection.readResponse();
    const second = await connection.readResponse();
    connection.destroy();
    assert.equal(JSON.parse(first.body.toString()).id, "first");
    assert.equal(second.body.toString(), "plain");
  });

  test("1,000 concurrent requests with async handlers each get their own answer", async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `r${i}`);
    const answers = await Promise.all(
      ids.map(async (id) => {
        const res = await fetch(`${app.base}/id/${id}?q=${id}-query`);
        return { status: res.status, body: await json(res) };
      }),
    );
    answers.forEach(({ status, body }, i) => {
      assert.equal(status, 200);
      assert.deepEqual(body, { id: ids[i], query: `${ids[i]}-query` });
    });
  }, 60_000);

  test("a client that hangs up aborts the handler's signal; the late answer is dropped", async () => {
    const { connection, req, release } = await hang("abort-me");
    const aborted = deferred<unknown>();
    req.signal.addEventListener("abort", () => aborted.resolve(req.signal.reason));
    assert.equal(req.signal.aborted, false);
    assert.equal(app.server.pendingRequests, 1);

    connection.destroy();
    const reason = await aborted.promise;
    assert.equal((reason as DOMException).name, "AbortError");
    assert.equal(app.server.pendingRequests, 0);
    release(); // the handler answers anyway; nothing is written for it

    assert.equal(await (await fetch(`${app.base}/plain`)).text(), "plain");
  });

  test("a signal first read after the client left comes out already aborted", async () => {
    const { connection, req, release } = await hang("read-late");
    connection.destroy();
    // No signal exists yet to listen on: wait for the cancel to reach JS.
    await until(() => app.server.pendingRequests === 0, "the cancel reaches JS");
    assert.equal(req.signal.aborted, true);
    release();
    assert.equal(await (await fetch(`${app.base}/plain`)).text(), "plain");
  });
});

describe("idleTimeout", () => {
  let uploads = 0;
  const app = useServer({
    idleTimeout: 0.6,
    routes: {
      "/upload": {
        POST: async (req) => {
          uploads++;
          return { body: `got ${(await req.text()).length} bytes` };
        },
      },
    },
  });

  test("a request body that stops arriving gets 408 and the connection closes; no handler runs", async () => {
    const connection = await RawConnection.open(app.server.port);
    const started = Date.now();
    connection.write("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nthe first ten");
    const response = await connection.readResponse();
    await connection.closed;
    assert.equal(response.status, 408);
    assert.equal(JSON.parse(response.body.toString()).code, "deadline_exceeded");
    assert.ok(Date.now() - started >= 550, `answered after ${Date.now() - started} ms, before the 600 ms timeout`);
    assert.equal(uploads, 0);
  });

  test("a slow but steady body is read whole, however long it takes in all", async () => {
    const connection = await RawConnection.open(app.server.port);
    connection.write("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 8\r\n\r\n");
    // Eight bytes over ~1.2 s, twice the timeout, but only 150 ms apart (a wide margin for a
    // busy test machine's timers).
    for (const byte of "steadily") {
      await new Promise((resolve) => setTimeout(resolve, 150));
      connection.write(byte);
    }
    const response = await connection.readResponse();
    connection.destroy();
    assert.equal(response.status, 200);
    assert.equal(response.body.toString(), "got 8 bytes");
    assert.equal(uploads, 1);
  });
});
