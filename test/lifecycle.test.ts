// Backpressure, graceful stop, and what the server costs while idle.

import assert from "node:assert/strict";
import { connect } from "node:net";
import { Worker } from "node:worker_threads";
import { describe, test } from "./harness.js";
import { deferred, json, startServer, useServer } from "./support.js";
import { readThreads, threadUsageAvailable, usageBetween } from "./thread-usage.js";

describe("backpressure", () => {
  test("past maxInflight, requests wait queueTimeoutMs, then get 503 with Retry-After; all recovers", async () => {
    const gate = deferred();
    let entered = 0;
    const allIn = deferred();
    const { server, base } = startServer({
      maxInflight: 4,
      queueTimeoutMs: 150,
      retryAfterSeconds: 2,
      routes: {
        "/held": async () => {
          if (++entered === 4) allIn.resolve();
          await gate.promise;
          return { body: "released" };
        },
        "/free": () => ({ body: "free" }),
      },
    });
    try {
      const held = Array.from({ length: 4 }, () => fetch(`${base}/held`));
      await allIn.promise;
      const shed = await Promise.all(Array.from({ length: 3 }, () => fetch(`${base}/free`)));
      for (const res of shed) {
        assert.equal(res.status, 503);
        assert.equal(res.headers.get("retry-after"), "2");
        assert.equal((await json(res)).code, "unavailable");
      }
      gate.resolve();
      for (const res of await Promise.all(held)) assert.equal(await res.text(), "released");
      assert.equal(await (await fetch(`${base}/free`)).text(), "free");
    } finally {
      await server.stop();
    }
  });

  test("a full request ring: the extra requests get 503 after the queue timeout; all recovers", async () => {
    // The ring fills only while JS is not draining it, so the JS thread is blocked on purpose
    // (Atomics.wait) while a worker thread plays the clients and decides when to unblock it.
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const { server, base } = startServer({
      requestRingBytes: 64 * 1024, // the smallest ring the runtime accepts
      queueTimeoutMs: 100,
      routes: {
        "/block": () => {
          worker.postMessage("blocked");
          Atomics.wait(signal, 0, 0, 10_000);
          return { body: "unblocked" };
        },
        "/fill/:i": (req) => ({ body: req.params.i }),
      },
    });
    const worker = new Worker(RING_CLIENT, { eval: true, workerData: { base, signal, count: COUNT } });
    try {
      const report = await new Promise<{ statuses: number[]; retryAfter: string[]; bodies: string[]; block: string }>(
        (resolve, reject) => {
          worker.once("message", resolve);
          worker.once("error", reject);
        },
      );
      assert.equal(report.block, "unblocked");
      const served = report.statuses.filter((status) => status === 200).length;
      const shed = report.statuses.filter((status) => status === 503).length;
      assert.ok(shed > 0, "some requests were shed");
      assert.ok(served > 0, "the requests that fitted in the ring were served");
      assert.equal(served + shed, COUNT);
      assert.ok(report.retryAfter.every((value) => value === "1"));
      for (const [i, status] of report.statuses.entries()) {
        if (status === 200) assert.equal(report.bodies[i], String(i), "each served request got its own answer");
      }
      assert.equal(await (await fetch(`${base}/fill/after`)).text(), "after");
    } finally {
      await worker.terminate();
      await server.stop();
    }
  });
});

/**
 * Requests the ring test sends while JS is blocked. Each carries a 2 KiB header, so that about
 * 30 fill the 64 KiB ring.
 */
const COUNT = 80;

/** The worker of the ring test, as source (it runs unchanged on Bun and Node). */
const RING_CLIENT = `
const { parentPort, workerData } = require("node:worker_threads");
const { base, signal, count } = workerData;
const block = fetch(base + "/block").then((res) => res.text());
parentPort.once("message", async () => {
  // The server's JS thread is blocked now: every request below queues in Rust.
  let shed = false;
  const answers = Array.from({ length: count }, (_, i) =>
    fetch(base + "/fill/" + i, { headers: { "x-padding": "p".repeat(2048) } }).then(async (res) => {
      if (res.status === 503 && !shed) {
        shed = true;
        Atomics.store(signal, 0, 1);
        Atomics.notify(signal, 0);
      }
      return { status: res.status, retryAfter: res.headers.get("retry-after"), body: await res.text() };
    }),
  );
  const done = await Promise.all(answers);
  parentPort.postMessage({
    statuses: done.map((a) => a.status),
    retryAfter: done.filter((a) => a.status === 503).map((a) => a.retryAfter),
    bodies: done.map((a) => a.body),
    block: await block,
  });
});
`;

describe("graceful stop", () => {
  test("in-flight requests finish, new connections are refused, stop() resolves", async () => {
    const gate = deferred();
    const entered = deferred();
    const { server, base } = startServer({
      routes: {
        "/slow": async () => {
          entered.resolve();
          await gate.promise;
          return { body: "finished" };
        },
      },
    });
    const inFlight = fetch(`${base}/slow`);
    await entered.promise;
    const stopped = server.stop();
    assert.equal(server.stop(), stopped, "stop() twice returns the same promise");

    const refused = await new Promise<string>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port: server.port });
      socket.once("connect", () => {
        socket.destroy();
        resolve("connected");
      });
      socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    assert.equal(refused, "ECONNREFUSED");

    gate.resolve();
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "finished");
    await stopped;
  });

  test("stop(true) does not wait for handlers; Symbol.asyncDispose stops too", async () => {
    const entered = deferred();
    const { server, base } = startServer({
      routes: {
        "/never": () => {
          entered.resolve();
          return new Promise<never>(() => {});
        },
      },
    });
    const abandoned = fetch(`${base}/never`).then(
      (res) => res.status,
      () => "connection closed",
    );
    await entered.promise;
    await server.stop(true);
    assert.ok(["connection closed", 503].includes(await abandoned));

    const disposable = startServer({ fetch: () => ({ body: "x" }) });
    await disposable.server[Symbol.asyncDispose]();
    await assert.rejects(fetch(disposable.base));
  });
});

describe("idle", () => {
  const app = useServer({ fetch: () => ({ body: "awake" }) });

  test("nothing polls: Keel's threads sleep and its JS loop parks", async () => {
    assert.equal(await (await fetch(app.base)).text(), "awake"); // the loop has parked at least once
    await new Promise((resolve) => setTimeout(resolve, 200)); // let start-up work settle
    const before = threadUsageAvailable ? readThreads() : undefined;
    const start = process.cpuUsage();
    const startedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // the measurement window
    const used = process.cpuUsage(start);
    const seconds = (performance.now() - startedAt) / 1000;
    const threads = before ? usageBetween(before, readThreads()) : [];

    // The whole process, the runtime's own timers and collector included (an empty Bun process
    // idles at up to ~1% of a core on some hosts): a thread that spins would show as ~100%.
    const share = (used.user + used.system) / 1e6 / seconds;
    assert.ok(share < 0.05, `idle CPU was ${(share * 100).toFixed(2)}% of a core`);
    if (before) {
      // Keel's Rust threads (keel-io, keel-rt) block until there is work: with no deadline due
      // they do not wake at all; one tick is the clock's granularity, not work.
      const keel = threads.filter((t) => t.name.startsWith("keel-"));
      assert.ok(keel.length > 0, `Keel's threads are named keel-…; found ${threads.map((t) => t.name).join(", ")}`);
      for (const thread of keel) {
        assert.ok(thread.ticks <= 1 && thread.sleeps <= 2, `${thread.name} woke ${thread.sleeps} times and used ${thread.ticks} ticks while idle`);
      }
      // The JS thread: the runtime's timers wake it a few times a second (Bun ~8); a drain loop
      // that polled the ring every 20 ms or more often would wake it 100 times or more.
      const js = threads.find((t) => t.tid === process.pid);
      assert.ok(js !== undefined, "the JS thread is the process's main thread");
      assert.ok(js.sleeps < 100, `the JS thread woke ${js.sleeps} times in ${seconds.toFixed(1)} s while idle`);
    }
    assert.equal(await (await fetch(app.base)).text(), "awake", "and it still wakes up");
  });
});
