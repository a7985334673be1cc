// Completing a stand-in for a native Fetch class (fetch-request.ts, light-response.ts).
//
// A stand-in's prototype chain ends at the native prototype, so that `instanceof` holds; but the
// native getters and methods throw for anything that is not a real instance. Every native member
// the stand-in does not define itself is therefore defined on it, answered by a real instance.

type Members = Record<PropertyKey, unknown>;

/**
 * Defines on `standIn` each member of `native` it lacks: a getter reads from `forGetter(this)`, a
 * method is called on `forMethod(this)`. Then chains `standIn` to `native`.
 */
export function completeStandIn<T>(standIn: T, native: object, forGetter: (self: T) => object, forMethod: (self: T) => object): void {
  const target = standIn as Members;
  for (const key of Reflect.ownKeys(native)) {
    if (key === "constructor" || Object.prototype.hasOwnProperty.call(target, key)) continue;
    const descriptor = Reflect.getOwnPropertyDescriptor(native, key)!;
    if (descriptor.get !== undefined) {
      Object.defineProperty(target, key, {
        configurable: true,
        get(this: T) {
          return (forGetter(this) as Members)[key];
        },
      });
    } else if (typeof descriptor.value === "function") {
      Object.defineProperty(target, key, {
        configurable: true,
        writable: true,
        value(this: T, ...args: unknown[]) {
          return (forMethod(this) as Record<PropertyKey, (...a: unknown[]) => unknown>)[key]!(...args);
        },
      });
    }
  }
  Object.setPrototypeOf(standIn, native);
}
