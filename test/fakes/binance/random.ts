/**
 * Seeded randomness for the fake (fault probabilities, the price walk, synthetic candles), so a
 * test that sets a seed sees the same market and the same faults on every run.
 */

/** mulberry32: a tiny, fast PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniformly drawn integer in [-max, max]. */
export function randomInt(rng: () => number, max: number): number {
  return Math.floor(rng() * (2 * max + 1)) - max;
}

/** FNV-1a over the parts: a stable unsigned 32-bit hash for deterministic synthetic data. */
export function hash32(...parts: Array<string | number>): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join('|')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
