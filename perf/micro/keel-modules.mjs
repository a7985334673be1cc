// Keel's own modules for the micro-benchmarks, as the running runtime uses them: on Bun the
// TypeScript sources (bindings/bun, bun:ffi), on Node the compiled dist/ (bindings/node, koffi).

const isBun = typeof globalThis.Bun !== "undefined";
const root = new URL("../../", import.meta.url);
const src = (path) => new URL(isBun ? `${path}.ts` : `dist/${path}.js`, root).href;

export const runtimeName = isBun ? `Bun ${globalThis.Bun.version}` : `Node ${process.version.slice(1)}`;

export async function loadKeel() {
  const [native, config, loop, envelope, response, dispatch, fetchRequest, webGlobals, honoEnv, accessorLoader] = await Promise.all([
    import(src(isBun ? "bindings/bun/native" : "bindings/node/native")),
    import(src("bindings/core/config")),
    import(src("bindings/core/loop")),
    import(src("bindings/core/envelope")),
    import(src("bindings/core/response")),
    import(src("bindings/core/dispatch")),
    import(src("bindings/core/fetch-request")),
    import(src("bindings/core/web-globals")),
    import(src("bindings/hono/env")),
    import(src("bindings/core/accessors")),
  ]);
  return {
    loadNative: isBun ? native.loadBunNative : native.loadNodeNative,
    planServer: config.planServer,
    RingConsumer: loop.RingConsumer,
    RequestEnvelope: envelope.RequestEnvelope,
    ResponseWriter: response.ResponseWriter,
    Dispatcher: dispatch.Dispatcher,
    fetchRequest: fetchRequest.fetchRequest,
    KeelHonoEnv: honoEnv.KeelHonoEnv,
    /** Gives typed routes their request readers and response writers, as serve() does. */
    loadAccessors: accessorLoader.loadAccessors,
    /** Installs keel/hono's global Request and Response for this runtime, as serve() does. */
    installFetchGlobals: () => webGlobals.installFetchGlobals(isBun ? "bun" : "node"),
    schemaApp: await import(new URL(isBun ? "examples/schema/app.ts" : "dist/examples/schema/app.js", root).href),
    manifestDir: new URL("examples/schema/.keel/", root),
    accessors: await import(new URL("examples/schema/.keel/accessors.js", root).href),
    libraryPath: new URL("target/release/libkeel_ffi.so", root).pathname,
    /** bun:ffi itself on Bun (for a raw call), null on Node. */
    bunFfi: isBun ? await import("bun:ffi") : null,
  };
}
