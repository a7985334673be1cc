// The micro-benchmark cases, registered with mitata. Each group compares ways of doing one job
// of the JS thread; perf/README.md ("Micro-benchmarks") says what each case includes.

import { createRequire } from "node:module";
import { bench, do_not_optimize, group } from "mitata";
import { SCHEMA_BODY } from "../lib/workloads.mjs";
import { SchemaBody } from "../servers/schema-zod.mjs";

const SLOT_BYTES = 64;
/** Frames per drained batch. */
export const BATCH = 64;

/** Registers every case (async: one imports an app). `keel`: micro/keel-modules.mjs; `runtime`, `frames`: micro/frames.mjs. */
export async function registerCases({ keel, runtime, frames }) {
  ffiCalls(keel, runtime);
  drain(keel, frames);
  typedRead(keel, frames.schema);
  serialize(keel);
  await typedEndToEnd(keel, frames.schema);
  // Last: it replaces the global Response, as keel/hono's serve() does.
  await fetchBridge(keel, frames.hello);
}

function ffiCalls(keel, runtime) {
  const koffi = createRequire(import.meta.url)("../../node_modules/koffi");
  const viaKoffi = koffi.load(keel.libraryPath).func("uint32_t keel_abi_version(void)");
  group("one FFI call", () => {
    if (keel.bunFfi) {
      const { dlopen, FFIType } = keel.bunFfi;
      const viaBun = dlopen(keel.libraryPath, { keel_abi_version: { args: [], returns: FFIType.u32 } }).symbols.keel_abi_version;
      bench("keel_abi_version() through bun:ffi", () => do_not_optimize(viaBun()));
    }
    bench("keel_abi_version() through koffi", () => do_not_optimize(viaKoffi()));
    // Through the binding's NativeRuntime.poll (status check included), as the drain loop calls it.
    bench("keel_poll(rt, 0) on an idle runtime, through Keel's binding", () => do_not_optimize(runtime.poll(0)));
  });
}

/** A ring of BATCH copies of `frame`, drained by Keel's RingConsumer with a dispatcher that does nothing. */
function drain(keel, frames) {
  group(`drain a batch of ${BATCH} ring frames (RingConsumer, real frames, synthetic ring)`, () => {
    for (const [name, frame] of Object.entries(frames)) {
      const ring = new Uint8Array(frame.length * BATCH);
      for (let i = 0; i < BATCH; i++) ring.set(frame, i * frame.length);
      const fakeRuntime = { requestRing: ring.buffer, spilledBody: () => new Uint8Array(0) };
      // A handler that answers at once: the request is settled, so the release expires it.
      const dispatcher = { dispatch: (req) => (req.settled = true), cancel() {}, pending: 0 };
      const consumer = new keel.RingConsumer(fakeRuntime, dispatcher, null, "127.0.0.1:1");
      const slots = ring.length / SLOT_BYTES;
      bench(`${BATCH} × ${name === "schema" ? "POST /schema" : "GET /hello"} (${frame.length} B each)`, () => {
        consumer.consume(slots);
        do_not_optimize(consumer.releaseHeld());
      });
    }
  });
}

/**
 * The typed payload Rust wrote vs parsing the same body in JS; each reads the seven body fields.
 * A typed frame carries no JSON (Rust decoded it into the payload), so the JSON cases parse the
 * body the load generator sends.
 */
function typedRead(keel, frame) {
  const view = new DataView(frame.buffer);
  const envelope = new keel.RequestEnvelope(frame, view, 0, view.getUint32(0, true));
  const memory = { bytes: frame, view, base: 0 };
  const start = envelope.payloadStart;
  const bodyText = JSON.stringify(SCHEMA_BODY);
  const bodyBytes = new TextEncoder().encode(bodyText);
  const { readPayload, SchemaRequest } = keel.accessors;
  const utf8 = new TextDecoder();
  group("read the /schema request's body fields", () => {
    bench("generated accessors over the payload Rust decoded and validated", () => do_not_optimize(echoTyped(readPayload(SchemaRequest, memory, start))));
    bench("JSON.parse(string), no validation", () => do_not_optimize(echoParsed(JSON.parse(bodyText))));
    bench("TextDecoder + JSON.parse(bytes), no validation", () => do_not_optimize(echoParsed2(JSON.parse(utf8.decode(bodyBytes)))));
    bench("TextDecoder + JSON.parse + Zod safeParse", () => do_not_optimize(echoZod(SchemaBody.safeParse(JSON.parse(utf8.decode(bodyBytes))).data)));
  });
}

// One function per source of objects, so that each call site sees one shape (as in a server).
const echoTyped = (r) => ({ someKey: r.someKey, someOtherKey: r.someOtherKey, requiredKey: r.requiredKey, nullableKey: r.nullableKey, multipleTypesKey: r.multipleTypesKey, multipleRestrictedTypesKey: r.multipleRestrictedTypesKey, enumKey: r.enumKey });
const echoParsed = (r) => ({ someKey: r.someKey, someOtherKey: r.someOtherKey, requiredKey: r.requiredKey, nullableKey: r.nullableKey, multipleTypesKey: r.multipleTypesKey, multipleRestrictedTypesKey: r.multipleRestrictedTypesKey, enumKey: r.enumKey });
const echoParsed2 = (r) => ({ someKey: r.someKey, someOtherKey: r.someOtherKey, requiredKey: r.requiredKey, nullableKey: r.nullableKey, multipleTypesKey: r.multipleTypesKey, multipleRestrictedTypesKey: r.multipleRestrictedTypesKey, enumKey: r.enumKey });
const echoZod = (r) => ({ someKey: r.someKey, someOtherKey: r.someOtherKey, requiredKey: r.requiredKey, nullableKey: r.nullableKey, multipleTypesKey: r.multipleTypesKey, multipleRestrictedTypesKey: r.multipleRestrictedTypesKey, enumKey: r.enumKey });

/**
 * The /schema reply as bytes: Keel's response writer, with JSON.stringify and with the writer
 * `keel gen` generated for the reply's type (json-out.ts picks one per runtime from these), vs
 * what a JS server does before its socket write.
 */
function serialize(keel) {
  const reply = {
    body: { someKey: "test", someOtherKey: 123, requiredKey: [123, 456, 789], nullableKey: null, multipleTypesKey: true, multipleRestrictedTypesKey: "test", enumKey: "John" },
    query: { name: "test", excitement: 123 },
    header: { foo: "test" },
  };
  const sink = { commit: () => 1, respond: () => 1 };
  const writer = new keel.ResponseWriter(new ArrayBuffer(256 * 1024), sink);
  const encoder = new TextEncoder();
  const generated = keel.accessors.endpoints.find((e) => e.name === "schema").Write;
  if (!writer.writeJson(1, 0, 200, undefined, reply, generated)) throw new Error("the generated writer declined the /schema reply");
  writer.flush();
  group("serialize the /schema reply", () => {
    bench("ResponseWriter: JSON.stringify into the response buffer (+ flush)", () => {
      writer.writeResponseLike(1, 0, { body: reply });
      writer.flush();
    });
    bench("ResponseWriter: the generated writer into the response buffer (+ flush)", () => {
      writer.writeJson(1, 0, 200, undefined, reply, generated);
      writer.flush();
    });
    bench("JSON.stringify + TextEncoder.encode", () => do_not_optimize(encoder.encode(JSON.stringify(reply))));
  });
}

/**
 * A POST /schema answered end to end on the JS thread, without the FFI calls: BATCH copies of the
 * real frame drained, dispatched to the schema app's typed handler (its request read by the
 * generated accessors), answered as serve() answers it on this runtime, and released. The
 * microtask turn between dispatch and release is where Node answers async handlers.
 */
async function typedEndToEnd(keel, frame) {
  const plan = keel.planServer({ hostname: "127.0.0.1", port: 0, app: keel.schemaApp, manifest: keel.manifestDir, routes: { "/hello": { GET: () => ({}) } } });
  await keel.loadAccessors(plan.typed.accessorsPath, plan.typed.routes);
  const ring = new Uint8Array(frame.length * BATCH);
  for (let i = 0; i < BATCH; i++) ring.set(frame, i * frame.length);
  const responses = new ArrayBuffer(1024 * 1024);
  const writer = new keel.ResponseWriter(responses, { commit: () => 1, respond: () => 1 });
  const dispatcher = new keel.Dispatcher(plan.endpoints, { hostname: "127.0.0.1", port: 1 }, writer, { lightResponses: true });
  const consumer = new keel.RingConsumer({ requestRing: ring.buffer, spilledBody: () => new Uint8Array(0) }, dispatcher, writer, "127.0.0.1:1");
  const slots = ring.length / SLOT_BYTES;
  const drainAndAnswer = async () => {
    consumer.consume(slots);
    await null;
    consumer.releaseHeld();
    writer.flush();
  };
  await drainAndAnswer();
  const view = new DataView(responses);
  if (view.getUint16(4, true) !== 200) throw new Error(`typed case: the /schema handler answered ${view.getUint16(4, true)}, not 200`);
  const answered = dispatcher.pending === 0;
  if (!answered) throw new Error("typed case: answers were still pending after the microtask turn");
  group(`a typed request end to end: ${BATCH} × POST /schema answered (no FFI)`, () => {
    bench("schema app's handler, reply by the generated writer", drainAndAnswer);
  });
}

/**
 * A GET /hello answered end to end on the JS thread, without the FFI calls: BATCH copies of the
 * real frame drained by RingConsumer, dispatched, answered into the response buffer (its commit
 * a no-op) and released. A Keel route against the same Hono app keel/hono serves (the fetch
 * bridge: a lazy web Request in, the app's Response out), and, for scale, that app's own cost
 * on the runtime's Request and Response with no server around it.
 */
async function fetchBridge(keel, frame) {
  keel.installFetchGlobals();
  const { app } = await import("../servers/hono-app.mjs");
  const ring = new Uint8Array(frame.length * BATCH);
  for (let i = 0; i < BATCH; i++) ring.set(frame, i * frame.length);
  const fakeRuntime = { requestRing: ring.buffer, spilledBody: () => new Uint8Array(0) };
  const responses = new ArrayBuffer(1024 * 1024);
  const writer = new keel.ResponseWriter(responses, { commit: () => 1, respond: () => 1 });
  const server = { hostname: "127.0.0.1", port: 1 };
  const consumerOf = (handler) => {
    // Every endpoint id goes to `handler`: the frame names the id of the app it was captured
    // from. Handlers make light Responses, as under serve() (core/web-globals.ts).
    const dispatcher = new keel.Dispatcher(new Array(256).fill(handler), server, writer, { lightResponses: true });
    return new keel.RingConsumer(fakeRuntime, dispatcher, writer, "127.0.0.1:1");
  };
  const keelRoute = consumerOf(() => ({ body: { message: "Hello, World!" } }));
  const keelResponse = consumerOf(() => Response.json({ message: "Hello, World!" }));
  // The handler keel/hono's serve() builds (hono/serve.ts).
  const hono = consumerOf((req) => app.fetch(keel.fetchRequest(req), new keel.KeelHonoEnv(req)));
  const slots = ring.length / SLOT_BYTES;
  const drainAndAnswer = (consumer) => () => {
    consumer.consume(slots);
    do_not_optimize(consumer.releaseHeld());
    writer.flush();
  };
  // Measure only what answers right: the first frame of a drained batch must be a 200.
  for (const [name, consumer] of [["Keel route", keelRoute], ["Keel route's Response", keelResponse], ["Hono", hono]]) {
    drainAndAnswer(consumer)();
    const status = new DataView(responses).getUint16(4, true);
    if (status !== 200) throw new Error(`fetch-bridge case: the ${name} answered ${status}, not 200`);
  }
  group(`a request through the fetch bridge: ${BATCH} × GET /hello answered (no FFI)`, () => {
    bench("Keel route returning { body }", drainAndAnswer(keelRoute));
    bench("Keel route returning Response.json()", drainAndAnswer(keelResponse));
    bench("Hono app through keel/hono's fetch bridge", drainAndAnswer(hono));
    bench(`Hono app.fetch(new Request(url)) × ${BATCH}, no server`, () => {
      for (let i = 0; i < BATCH; i++) do_not_optimize(app.fetch(new Request("http://127.0.0.1:1/hello")));
    });
  });
}
