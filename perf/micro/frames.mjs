// Real request frames for the micro-benchmarks: a runtime is opened with the schema app's
// manifest, one GET /hello and one POST /schema (the Encore.ts request) are sent to it over
// loopback, and the two REQUEST frames Rust writes into the request ring are copied out — the
// bytes the JS consumer reads in production, typed payload included. Their slots are released,
// so the runtime is idle afterwards; the two clients stay unanswered until the process exits.

import { request } from "node:http";
import { SCHEMA_BODY } from "../lib/workloads.mjs";

const SLOT_BYTES = 64;
const REQUEST = 1;

/** Resolves with `{ runtime, frames: { hello, schema } }`: each frame a Uint8Array copy of its slots. */
export async function captureFrames(keel, native) {
  const plan = keel.planServer({ hostname: "127.0.0.1", port: 0, app: keel.schemaApp, manifest: keel.manifestDir, routes: { "/hello": { GET: () => ({}) } } });
  const runtime = native.open(JSON.stringify(plan.config));
  send(runtime.port, "GET", "/hello");
  send(runtime.port, "POST", "/schema?name=test&excitement=123", { "content-type": "application/json", "x-foo": "test" }, JSON.stringify(SCHEMA_BODY));

  const ring = new Uint8Array(runtime.requestRing);
  const view = new DataView(runtime.requestRing);
  const frames = {};
  let head = 0;
  let slots = 0;
  for (const deadline = Date.now() + 10_000; Object.keys(frames).length < 2; ) {
    if (Date.now() > deadline) throw new Error("the runtime did not publish the two requests within 10 s");
    const ready = runtime.poll(0) - slots;
    if (ready <= 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      continue;
    }
    const at = head * SLOT_BYTES;
    const frameLen = view.getUint32(at, true);
    const count = Math.ceil(frameLen / SLOT_BYTES);
    if (view.getUint16(at + 4, true) === REQUEST) {
      const frame = ring.slice(at, at + count * SLOT_BYTES);
      const envelope = new keel.RequestEnvelope(frame, new DataView(frame.buffer), 0, frameLen);
      frames[envelope.method === "GET" ? "hello" : "schema"] = frame;
    }
    head += count;
    slots += count;
  }
  runtime.poll(slots); // release them: the ring is empty again
  return { runtime, frames };
}

function send(port, method, path, headers = {}, body) {
  const req = request({ host: "127.0.0.1", port, method, path, headers, agent: false });
  req.on("error", () => {}); // never answered; torn down with the process
  req.end(body);
}
