// The table of requests still awaiting an answer (bindings/core/inflight.ts): CANCEL and CREDIT
// frames find a request by (slot index, generation), also while a slot holds two live ids.

import assert from "node:assert/strict";
import { InflightTable } from "../bindings/core/inflight.js";
import type { KeelRequest } from "../bindings/core/request.js";
import { describe, test } from "./harness.js";

/** The table reads a request's id only. */
const request = (idLow: number, idHigh: number) => ({ idLow, idHigh }) as unknown as KeelRequest;

describe("in-flight table", () => {
  test("finds a request by its id until it is deleted", () => {
    const table = new InflightTable();
    const a = request(0, 1);
    const b = request(7, 3);
    table.add(a);
    table.add(b);
    assert.equal(table.size, 2);
    assert.equal(table.get(0, 1), a);
    assert.equal(table.get(7, 3), b);
    assert.equal(table.get(7, 4), undefined, "another generation of the slot");
    assert.equal(table.get(3, 0), undefined, "a slot never used");
    assert.equal(table.get(99, 0), undefined, "beyond every slot used");
    table.delete(b);
    assert.equal(table.get(7, 3), undefined);
    assert.equal(table.size, 1);
    table.delete(b);
    assert.equal(table.size, 1, "deleting twice changes nothing");
  });

  test("adding a request twice tracks it once", () => {
    const table = new InflightTable();
    const a = request(2, 5);
    table.add(a);
    table.add(a);
    assert.equal(table.size, 1);
    table.delete(a);
    assert.equal(table.size, 0);
    assert.equal(table.get(2, 5), undefined);
  });

  test("two live ids in one slot are told apart by generation, deleted in either order", () => {
    for (const firstOut of ["older", "newer"] as const) {
      const table = new InflightTable();
      const older = request(4, 10);
      const newer = request(4, 11);
      table.add(older);
      table.add(newer);
      table.add(newer);
      assert.equal(table.size, 2);
      assert.equal(table.get(4, 10), older);
      assert.equal(table.get(4, 11), newer);
      const [gone, kept] = firstOut === "older" ? [older, newer] : [newer, older];
      table.delete(gone);
      assert.equal(table.size, 1, firstOut);
      assert.equal(table.get(gone.idLow, gone.idHigh), undefined, firstOut);
      assert.equal(table.get(kept.idLow, kept.idHigh), kept, firstOut);
      // The slot may be handed out again while the kept one is still in flight.
      const third = request(4, 12);
      table.add(third);
      assert.equal(table.get(4, 12), third, firstOut);
      assert.equal(table.get(kept.idLow, kept.idHigh), kept, firstOut);
      table.delete(kept);
      table.delete(third);
      assert.equal(table.size, 0, firstOut);
    }
  });

  test("takeAll hands over every request and empties the table", () => {
    const table = new InflightTable();
    const all = [request(0, 1), request(1, 1), request(1, 2), request(5, 9)];
    for (const req of all) table.add(req);
    const taken = table.takeAll();
    assert.equal(taken.length, all.length);
    for (const req of all) assert.ok(taken.includes(req));
    assert.equal(table.size, 0);
    for (const req of all) assert.equal(table.get(req.idLow, req.idHigh), undefined);
    table.delete(all[0]!);
    assert.equal(table.size, 0, "deleting after takeAll changes nothing");
  });
});
