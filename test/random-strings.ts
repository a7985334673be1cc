// Seeded test data for the decoders' tables of recent strings (bindings/core/text.ts and the
// generated accessors): many short strings, near twins among them, and a reading order.

/**
 * `count` strings of 0-30 characters from a seeded generator: ASCII letters mostly, some
 * Latin-1 (é, ÿ), some beyond (—, 🚀), and near twins (same length, one letter apart).
 */
export function shortStrings(count: number, seed: number): string[] {
  const alphabet = ["a", "b", "c", "x", "y", "z", "A", "Z", "0", "9", "-", "_", " ", "é", "ÿ", "—", "🚀"];
  let state = seed;
  const next = (n: number) => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 8) % n;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0 && next(4) === 0) {
      const twin = Array.from(out[next(out.length)]!); // by code point: no lone surrogates
      if (twin.length > 0) twin[next(twin.length)] = alphabet[next(12)]!;
      out.push(twin.join(""));
      continue;
    }
    let word = "";
    for (let n = next(31); n > 0; n--) word += alphabet[next(next(8) === 0 ? alphabet.length : 12)];
    out.push(word);
  }
  return out;
}

/** 0..count-1 in an order fixed by `seed`. */
export function shuffled(count: number, seed: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  let state = seed;
  for (let i = count - 1; i > 0; i--) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const j = (state >>> 8) % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
