// A test-only encoder: JSON-like values → FlatBuffers, laid out per docs/TYPED-APIS.md from the
// model alone (what the Rust decoder does after validating). It writes every present value even
// when it equals the FlatBuffers default, as the decoder does: presence is meaning here.

import { Builder } from "flatbuffers";
import type { Manifest, Type } from "../model.js";
import { scalarOf } from "../resolve/build-model.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

export function encodePayload(manifest: Manifest, typeIndex: number, value: Json): Uint8Array {
  const types = manifest.types;
  const b = new Builder(256);
  b.forceDefaults(true);

  /** Encodes the non-scalar value of `index`; returns its offset. */
  const offsetOf = (index: number, value: Json): number => {
    const type = types[index]!;
    switch (type.kind) {
      case "Object":
        return table(type, value as Record<string, Json>);
      case "Array": {
        const element = types[type.element!]!;
        const items = value as Json[];
        const scalar = scalarWriter(element);
        if (scalar) {
          b.startVector(scalar.width, items.length, scalar.width);
          for (let i = items.length - 1; i >= 0; i--) scalar.add(items[i]!);
          return b.endVector();
        }
        return offsets(items.map((item) => offsetOf(type.element!, item)));
      }
      case "Record": {
        const value_ = types[type.element!]!;
        const entries = Object.entries(value as Record<string, Json>).map(([key, item]) => {
          const keyOffset = b.createString(key);
          const union = value_.kind === "Union" ? unionOf(value_, item!) : undefined;
          const itemOffset = union ? union.offset : scalarWriter(value_) ? 0 : offsetOf(type.element!, item!);
          b.startObject(3);
          b.addFieldOffset(0, keyOffset, 0);
          if (union) {
            b.addFieldInt8(1, union.code, 0);
            b.addFieldOffset(2, union.offset, 0);
          } else if (itemOffset) b.addFieldOffset(1, itemOffset, 0);
          else addScalar(value_, 1, item!);
          return b.endObject();
        });
        return offsets(entries);
      }
      default:
        return b.createString(String(value));
    }
  };

  const offsets = (items: number[]) => {
    b.startVector(4, items.length, 4);
    for (let i = items.length - 1; i >= 0; i--) b.addOffset(items[i]!);
    return b.endVector();
  };

  /** How to write a value of `type` inline (as a vector element); undefined for offsets. */
  const scalarWriter = (type: Type): { width: number; add: (v: Json) => void } | undefined => {
    if (type.kind === "Enum") return { width: 1, add: (v) => b.addInt8(type.enum_values!.indexOf(v as string)) };
    switch (scalarOf(type)) {
      case "double":
        return { width: 8, add: (v) => b.addFloat64(v as number) };
      case "long":
        return { width: 8, add: (v) => b.addInt64(BigInt(v as number)) };
      case "bool":
        return { width: 1, add: (v) => b.addInt8(v ? 1 : 0) };
      default:
        return undefined; // strings and tables are offsets
    }
  };

  const addScalar = (type: Type, slot: number, v: Json) => {
    if (type.kind === "Enum") return b.addFieldInt8(slot, type.enum_values!.indexOf(v as string), 0);
    switch (scalarOf(type)) {
      case "double":
        return b.addFieldFloat64(slot, v as number, 0);
      case "long":
        return b.addFieldInt64(slot, BigInt(v as number), BigInt(0));
      default:
        return b.addFieldInt8(slot, v ? 1 : 0, 0);
    }
  };

  /** The first variant that accepts `value`, encoded in its wrapper table. */
  const unionOf = (type: Type, value: Json): { code: number; offset: number } => {
    for (const [i, variant] of type.variants!.entries()) {
      const v = types[variant]!;
      const accepts =
        v.kind === "Enum" ? v.enum_values!.includes(value as string)
        : v.kind === "Literal" ? value === (v.literal_string ?? v.literal_number ?? v.literal_bool)
        : v.kind === "Integer" ? Number.isInteger(value)
        : v.kind === "Number" ? typeof value === "number"
        : v.kind === "Boolean" ? typeof value === "boolean"
        : typeof value === "string";
      if (!accepts) continue;
      const inner = scalarWriter(v) ? 0 : offsetOf(variant, value);
      b.startObject(1);
      if (inner) b.addFieldOffset(0, inner, 0);
      else addScalar(v, 0, value);
      return { code: i + 1, offset: b.endObject() };
    }
    throw new Error(`no variant of ${type.fbs_name} accepts ${JSON.stringify(value)}`);
  };

  const table = (type: Type, object: Record<string, Json | undefined>): number => {
    const fields = type.fields!;
    const prepared = fields.map((field) => {
      const v = object[field.name];
      const fieldType = types[field.type]!;
      if (v === undefined || v === null) return undefined;
      if (fieldType.kind === "Union") return unionOf(fieldType, v);
      return scalarWriter(fieldType) ? undefined : { offset: offsetOf(field.type, v) };
    });
    const slots = Math.max(0, ...fields.map((field) => (field.null_id ?? field.id) + 1));
    b.startObject(slots);
    fields.forEach((field, i) => {
      const v = object[field.name];
      if (v === undefined) return;
      if (v === null) return b.addFieldInt8(field.null_id!, 1, 0);
      const done = prepared[i];
      if (done && "code" in done) {
        b.addFieldInt8(field.id - 1, done.code, 0);
        b.addFieldOffset(field.id, done.offset, 0);
      } else if (done) b.addFieldOffset(field.id, done.offset, 0);
      else addScalar(types[field.type]!, field.id, v);
    });
    return b.endObject();
  };

  b.finish(offsetOf(typeIndex, value));
  return b.asUint8Array();
}
