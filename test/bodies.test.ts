// Large bodies: the size limit, spilled request bodies, and responses bigger than the buffer.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "./harness.js";
import { json, rawExchange, RawConnection, useServer } from "./support.js";

const MiB = 1024 * 1024;
const LIMIT = 2 * MiB; // the default maxRequestBodySize

describe("request bodies", () => {
  const app = useServer({
    routes: {
      "/echo": async (req) => ({ body: new Uint8Array(await req.arrayBuffer()) }),
      "/length": async (req) => ({ body: { length: (await req.bytes()).length } }),
    },
  });

  test("a body just under the limit is accepted", async () => {
    const res = await fetch(`${app.base}/length`, { method: "POST", body: new Uint8Array(LIMIT - 1) });
    assert.equal(res.status, 200);
    assert.deepEqual(await json(res), { length: LIMIT - 1 });
  });

  test("a body just over the limit gets 413 JSON", async () => {
    const res = await fetch(`${app.base}/length`, { method: "POST", body: new Uint8Array(LIMIT + 1) });
    assert.equal(res.status, 413);
    assert.equal((await json(res)).code, "resource_exhausted");
  });

  test("a chunked body over the limit gets 413 JSON too", async () => {
    const connection = await RawConnection.open(app.server.port);
    connection.write("POST /length HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n");
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    // One chunk more than the limit; the server may answer (and close) before reading it all.
    for (let sent = 0; sent <= LIMIT; sent += chunk.length) {
      connection.write(`${chunk.length.toString(16)}\r\n`);
      connection.write(chunk);
      connection.write("\r\n");
    }
    connection.write("0\r\n\r\n");
    const response = await connection.readResponse();
    connection.destroy();
    assert.equal(response.status, 413);
    assert.equal(JSON.parse(response.body.toString()).code, "resource_exhausted");
  });

  test("a 1 MiB body (spilled outside the ring) is echoed byte for byte", async () => {
    const body = randomBytes(MiB);
    const res = await fetch(`${app.base}/echo`, { method: "POST", body });
    assert.equal(res.status, 200);
    const echoed = Buffer.from(await res.arrayBuffer());
    assert.equal(echoed.length, body.length);
    assert.ok(echoed.equals(body), "the echoed bytes differ");
  });

  test("bodies around the inline/spilled boundary (64 KiB) are exact", async () => {
    for (const size of [64 * 1024 - 300, 64 * 1024, 64 * 1024 + 1]) {
      const body = randomBytes(size);
      const echoed = Buffer.from(await (await fetch(`${app.base}/echo`, { method: "POST", body })).arrayBuffer());
      assert.ok(echoed.equals(body), `${size} bytes`);
    }
  });

  test("a raw request with a body is read exactly", async () => {
    const { response, connection } = await rawExchange(app.server.port, "POST /length HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello");
    connection.destroy();
    assert.deepEqual(JSON.parse(response.body.toString()), { length: 5 });
  });
});

describe("large responses", () => {
  const big = randomBytes(6 * MiB); // larger than the response buffer below
  const app = useServer({
    responseBufferBytes: 256 * 1024,
    routes: {
      "/big": () => ({ body: big }),
      "/big-text": () => ({ body: "é".repeat(200_000) }), // 400 000 bytes of UTF-8
      "/sized/:n": (req) => ({ body: new Uint8Array(Number(req.params.n)).fill(7) }),
    },
  });

  test("a response larger than the response buffer arrives whole", async () => {
    const res = await fetch(`${app.base}/big`);
    const received = Buffer.from(await res.arrayBuffer());
    assert.ok(received.equals(big));
    const text = await (await fetch(`${app.base}/big-text`)).text();
    assert.equal(text, "é".repeat(200_000));
  });

  test("many responses that overflow the buffer in one batch are all delivered", async () => {
    const sizes = Array.from({ length: 60 }, (_, i) => 10_000 + i * 997);
    const bodies = await Promise.all(sizes.map(async (n) => new Uint8Array(await (await fetch(`${app.base}/sized/${n}`)).arrayBuffer())));
    bodies.forEach((body, i) => {
      assert.equal(body.length, sizes[i]);
      assert.ok(body.every((byte) => byte === 7));
    });
  });
});
