// Telling an object literal (or a null-prototype object) from class instances: what callers
// pass as options or as `init.headers` when they are not a Headers, a Response or an array.

/** Whether `value` is an object whose prototype is Object.prototype or null. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
