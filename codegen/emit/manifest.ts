// The binary manifest (schemas/manifest.fbs, file identifier "KEEL"), written field by field
// with the flatbuffers runtime's Builder. The slot numbers below are the schema's field ids:
// keep them in step with schemas/manifest.fbs.

import { Builder } from "flatbuffers";
import { KINDS, LITERAL_KINDS, RULE_KINDS, SOURCES, type Endpoint, type Field, type Manifest, type Rule, type Type } from "../model.js";

export function encodeManifest(manifest: Manifest): Uint8Array {
  const b = new Builder(4096);
  const string = (value: string | undefined) => (value === undefined ? 0 : b.createString(value));
  const offsets = (items: readonly number[]) => {
    b.startVector(4, items.length, 4);
    for (let i = items.length - 1; i >= 0; i--) b.addOffset(items[i]!);
    return b.endVector();
  };
  const uints = (items: readonly number[]) => {
    b.startVector(4, items.length, 4);
    for (let i = items.length - 1; i >= 0; i--) b.addInt32(items[i]!);
    return b.endVector();
  };

  const rule = (rule: Rule) => {
    const text = string(rule.text);
    b.startObject(3);
    b.addFieldInt8(0, RULE_KINDS.indexOf(rule.kind), 0);
    b.addFieldFloat64(1, rule.value ?? 0, 0);
    b.addFieldOffset(2, text, 0);
    return b.endObject();
  };

  const field = (field: Field) => {
    const name = string(field.name);
    const wireName = string(field.wire_name);
    b.startObject(8);
    b.addFieldOffset(0, name, 0);
    b.addFieldInt32(1, field.type, 0);
    b.addFieldInt8(2, +field.optional, 0);
    b.addFieldInt8(3, +field.nullable, 0);
    b.addFieldInt8(4, SOURCES.indexOf(field.source), 0);
    b.addFieldOffset(5, wireName, 0);
    b.addFieldInt16(6, field.id, 0);
    b.addFieldInt16(7, field.null_id ?? 0, 0);
    const table = b.endObject();
    b.requiredField(table, 4); // name (vtable slot 0 sits at byte 4)
    return table;
  };

  const type = (type: Type) => {
    const name = string(type.name);
    const fbsName = string(type.fbs_name);
    const rules = offsets(type.rules.map(rule));
    const fields = type.fields ? offsets(type.fields.map(field)) : 0;
    const variants = type.variants ? uints(type.variants) : 0;
    const enumValues = type.enum_values ? offsets(type.enum_values.map((value) => b.createString(value))) : 0;
    const literalString = string(type.literal_string);
    b.startObject(12);
    b.addFieldInt8(0, KINDS.indexOf(type.kind), 0);
    b.addFieldOffset(1, name, 0);
    b.addFieldOffset(2, fbsName, 0);
    b.addFieldOffset(3, rules, 0);
    b.addFieldInt32(4, type.element ?? 0, 0);
    b.addFieldOffset(5, fields, 0);
    b.addFieldOffset(6, variants, 0);
    b.addFieldOffset(7, enumValues, 0);
    b.addFieldInt8(8, type.literal_kind === undefined ? 0 : LITERAL_KINDS.indexOf(type.literal_kind), 0);
    b.addFieldOffset(9, literalString, 0);
    b.addFieldFloat64(10, type.literal_number ?? 0, 0);
    b.addFieldInt8(11, +(type.literal_bool ?? false), 0);
    return b.endObject();
  };

  const endpoint = (endpoint: Endpoint) => {
    const name = string(endpoint.name);
    const method = string(endpoint.method);
    const path = string(endpoint.path);
    const file = string(endpoint.file);
    b.startObject(8);
    b.addFieldOffset(0, name, 0);
    b.addFieldOffset(1, method, 0);
    b.addFieldOffset(2, path, 0);
    b.addFieldInt32(3, endpoint.request, -1);
    b.addFieldInt32(4, endpoint.response, -1);
    b.addFieldInt8(5, +endpoint.raw, 0);
    b.addFieldOffset(6, file, 0);
    b.addFieldInt32(7, endpoint.line, 0);
    const table = b.endObject();
    for (const slot of [4, 6, 8]) b.requiredField(table, slot); // name, method, path
    return table;
  };

  const types = offsets(manifest.types.map(type));
  const endpoints = offsets(manifest.endpoints.map(endpoint));
  const appFbs = string(manifest.app_fbs);
  b.startObject(4);
  b.addFieldInt32(0, manifest.version, 0);
  b.addFieldOffset(1, types, 0);
  b.addFieldOffset(2, endpoints, 0);
  b.addFieldOffset(3, appFbs, 0);
  b.finish(b.endObject(), "KEEL");
  return b.asUint8Array();
}
