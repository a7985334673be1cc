// The request-ring consumer: the drain / park loop of docs/ARCHITECTURE.md.
//
// While there is work it drains a batch of at most FRAMES_PER_TURN frames per event-loop turn
// (setImmediate in between, so I/O and timers keep running): one keel_poll releases the
// previous batch and reports the ready slots, the frames are walked in place, and one
// keel_commit sends the batch's answers. When the ring
// is empty it parks; Rust then writes one byte to the doorbell socket when work arrives, and the
// socket's 'data' event resumes draining. Nothing polls while idle.

import { connect, type Socket } from "node:net";
import { BodyLocation, RequestEnvelope } from "./envelope.js";
import type { Dispatcher } from "./dispatch.js";
import type { NativeRuntime } from "./native.js";
import { KeelRequest } from "./request.js";
import type { ResponseWriter } from "./response.js";

const SLOT_BYTES = 64;

/**
 * Frames handled per event-loop turn. Answers are committed at the end of a turn (async ones
 * after its microtasks), so a turn over a few hundred requests would leave the Rust worker with
 * nothing to write until all of them ran; a bounded turn lets it write one batch while JS runs
 * the next. The rest stay in the ring for the next turn.
 */
const FRAMES_PER_TURN = 64;

// Request-ring frame kinds.
const REQUEST = 1;
const CANCEL = 2;
const PAD = 3;
const SHUTDOWN = 4;
const CREDIT = 5;

export class RingConsumer {
  private readonly runtime: NativeRuntime;
  private readonly dispatcher: Dispatcher;
  private readonly writer: ResponseWriter;
  /** host:port that requests without a Host header report in their URL. */
  private readonly authority: string;
  private readonly ring: Uint8Array;
  private readonly ringView: DataView;
  private readonly slotCount: number;

  /** Slot index of the next frame to read. */
  private head = 0;
  /** Slots read since the last poll; the next poll releases them. */
  private unreleased = 0;
  /**
   * Requests whose frames lie in those slots. Before the slots go back to Rust, each one is
   * detached (its handler is still running) or expired (it is done, so reading it is a bug that
   * must fail loudly rather than read reused memory).
   */
  private readonly held: KeelRequest[] = [];
  /** Scratch list for releaseHeld: finished requests whose frames must outlive the release. */
  private readonly outliving: KeelRequest[] = [];
  private drainQueued = false;
  private closed = false;
  private doorbell: Socket | undefined;
  private shutdownRequested = false;
  private resolveStopped!: () => void;
  /** Resolves once the SHUTDOWN frame has been handled and the runtime freed. */
  private readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));

  constructor(runtime: NativeRuntime, dispatcher: Dispatcher, writer: ResponseWriter, authority: string) {
    this.runtime = runtime;
    this.dispatcher = dispatcher;
    this.writer = writer;
    this.authority = authority;
    this.ring = new Uint8Array(runtime.requestRing);
    this.ringView = new DataView(runtime.requestRing);
    this.slotCount = runtime.requestRing.byteLength / SLOT_BYTES;
  }

  /** Connects the doorbell and starts draining once it is connected. */
  start(): void {
    const socket = connect({ path: this.runtime.doorbellPath });
    socket.on("connect", this.drain);
    socket.on("data", this.onDoorbell);
    socket.on("error", (error) => console.error("keel: the doorbell socket failed; requests will stall.", error));
    this.doorbell = socket;
  }

  /** Begins a graceful shutdown; resolves once Rust reports it complete and all is freed. */
  stop(graceMs: number): Promise<void> {
    if (!this.shutdownRequested && !this.closed) {
      this.shutdownRequested = true;
      this.runtime.shutdown(graceMs);
    }
    return this.stopped;
  }

  /** Requests whose answer is still to come. */
  get pending(): number {
    return this.dispatcher.pending;
  }

  private readonly onDoorbell = (): void => {
    if (!this.drainQueued) this.drain();
  };

  private queueDrain(): void {
    if (this.drainQueued) return;
    this.drainQueued = true;
    setImmediate(this.drain);
  }

  private readonly drain = (): void => {
    this.drainQueued = false;
    if (this.closed) return;
    const ready = this.runtime.poll(this.releaseHeld());
    if (ready > 0) {
      this.consume(ready);
      this.writer.flush();
      if (!this.closed) this.queueDrain();
      return;
    }
    this.writer.flush();
    if (this.runtime.park() === 1) this.queueDrain();
    // else: parked; the doorbell's next 'data' event drains again.
  };

  /** Walks up to FRAMES_PER_TURN frames of the `ready` slots from the head. */
  private consume(ready: number): void {
    const view = this.ringView;
    for (let left = ready, frames = 0; left > 0 && frames < FRAMES_PER_TURN; frames++) {
      const at = this.head * SLOT_BYTES;
      const frameLen = view.getUint32(at, true);
      const kind = view.getUint16(at + 4, true);
      const slots = Math.ceil(frameLen / SLOT_BYTES);
      if (slots === 0 || slots > left) {
        throw new Error(`keel: corrupt request ring: a ${frameLen}-byte frame at slot ${this.head} (${left} slots ready).`);
      }
      if (kind === REQUEST) this.request(at, frameLen);
      else if (kind === CANCEL) this.dispatcher.cancel(view.getUint32(at + 8, true), view.getUint32(at + 12, true));
      else if (kind === CREDIT) this.dispatcher.credit(view.getUint32(at + 8, true), view.getUint32(at + 12, true), view.getUint32(at + 16, true));
      else if (kind === SHUTDOWN) return this.finish();
      else if (kind !== PAD) throw new Error(`keel: corrupt request ring: frame kind ${kind} at slot ${this.head}.`);
      this.head = (this.head + slots) % this.slotCount;
      this.unreleased += slots;
      left -= slots;
    }
  }

  private request(at: number, frameLen: number): void {
    const envelope = new RequestEnvelope(this.ring, this.ringView, at, frameLen);
    const req = new KeelRequest(envelope, this.authority);
    if (envelope.bodyLocation === BodyLocation.Spilled) {
      // The spilled body is freed with the slot: take the one copy now.
      req.adoptBody(this.runtime.spilledBody(this.head, envelope.bodyLen).slice());
    }
    this.held.push(req);
    this.dispatcher.dispatch(req, envelope.endpoint);
  }

  /** Makes the held requests independent of the ring; returns how many slots to release. */
  private releaseHeld(): number {
    const held = this.held;
    const outliving = this.outliving;
    for (let i = 0; i < held.length; i++) {
      const req = held[i]!;
      if (!req.settled) req.detach();
      else if (req.outlivesHandler) outliving.push(req);
      else req.expire();
    }
    if (outliving.length > 0) this.copyOut(outliving);
    outliving.length = 0;
    held.length = 0;
    const slots = this.unreleased;
    this.unreleased = 0;
    return slots;
  }

  /**
   * Moves the frames of finished requests that must stay readable (web Request views) out of the
   * ring with one copy per contiguous run rather than one per request: most of them are never
   * read again, and a copy each is the largest cost of a fetch-style request. (A pending
   * request gets a copy of its own instead: it may live long, and would keep a run alive.)
   * `reqs` are in ring order; a run ends where the ring wraps.
   */
  private copyOut(reqs: KeelRequest[]): void {
    let runStart = 0;
    for (let i = 1; i <= reqs.length; i++) {
      if (i < reqs.length && reqs[i]!.envelope.base > reqs[i - 1]!.envelope.base) continue;
      const from = reqs[runStart]!.envelope.base;
      const last = reqs[i - 1]!.envelope;
      const copy = this.ring.slice(from, last.base + last.frameLen);
      const view = new DataView(copy.buffer);
      for (let j = runStart; j < i; j++) {
        const envelope = reqs[j]!.envelope;
        envelope.moveTo(copy, view, envelope.base - from);
      }
      runStart = i;
    }
  }

  /** The SHUTDOWN frame: nothing follows. Frees everything and resolves `stop()`. */
  private finish(): void {
    this.closed = true;
    this.releaseHeld();
    this.writer.close();
    this.dispatcher.cancelAll();
    this.doorbell?.destroy();
    this.runtime.close();
    this.resolveStopped();
  }
}
