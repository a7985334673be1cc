// `serve()`: checks the options, opens a native runtime and wires the consumer loop to it.

import { disableTypedRoutes, loadAccessors } from "./accessors.js";
import { planServer, type ServerPlan } from "./config.js";
import { Dispatcher } from "./dispatch.js";
import { RingConsumer } from "./loop.js";
import type { Native, NativeRuntime } from "./native.js";
import { ResponseWriter } from "./response.js";
import type { ServeOptions, Server, StopOptions } from "./types.js";
import { prepareForLightResponses } from "./web-globals.js";

const DEFAULT_GRACE_MS = 10_000;

/** Builds a runtime's `serve` from its way of loading the native library (loaded on first use). */
export function createServe(loadNative: () => Native): (options: ServeOptions) => Server {
  let native: Native | undefined;
  return (options) => {
    const plan = planServer(options);
    native ??= loadNative();
    const runtime = native.open(JSON.stringify(plan.config));
    return new KeelServer(runtime, plan);
  };
}

class KeelServer implements Server {
  readonly port: number;
  readonly hostname: string;
  readonly url: URL;
  private readonly consumer: RingConsumer;

  constructor(runtime: NativeRuntime, plan: ServerPlan) {
    this.port = runtime.port;
    this.hostname = plan.config.hostname;
    const authority = `${urlHost(this.hostname)}:${this.port}`;
    this.url = new URL(`http://${authority}/`);
    const writer = new ResponseWriter(runtime.responseBuffer, runtime);
    if (plan.lightResponses) prepareForLightResponses();
    const dispatcher = new Dispatcher(plan.endpoints, this, writer, {
      onError: plan.onError,
      streamWindowBytes: plan.config.streamWindowBytes,
      lightResponses: plan.lightResponses,
    });
    this.consumer = new RingConsumer(runtime, dispatcher, writer, authority);
    const typed = plan.typed;
    if (typed === undefined) {
      this.consumer.start();
      return;
    }
    // Requests wait in the ring (the port is already open) until the typed routes can read
    // them. A failure here means accessors.js is broken: stop rather than answer wrongly.
    loadAccessors(typed.accessorsPath, typed.routes).then(
      () => this.consumer.start(),
      (error: unknown) => {
        console.error(`keel: cannot load the typed endpoints' accessors; the server is stopping. Run \`keel gen\` and restart.`, error);
        disableTypedRoutes(plan.endpoints, typed.accessorsPath);
        this.consumer.start();
        void this.stop(true);
      },
    );
  }

  get pendingRequests(): number {
    return this.consumer.pending;
  }

  stop(options?: StopOptions | boolean): Promise<void> {
    const graceMs = options === true ? 0 : typeof options === "object" ? (options.graceMs ?? DEFAULT_GRACE_MS) : DEFAULT_GRACE_MS;
    if (!Number.isInteger(graceMs) || graceMs < 0 || graceMs > 0xffff_ffff) {
      throw new TypeError(`stop(): "graceMs" must be a whole number of milliseconds, got ${String(graceMs)}.`);
    }
    return this.consumer.stop(graceMs);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/** The host part of the server's URL: wildcard addresses read as localhost, IPv6 in brackets. */
function urlHost(hostname: string): string {
  if (hostname === "0.0.0.0" || hostname === "::") return "localhost";
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}
