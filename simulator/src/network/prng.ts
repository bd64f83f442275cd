// Seeded pseudo-random numbers for the network model. In: a 32-bit seed and labels (a host
// name, an endpoint key, a fault name). Out: independent, repeatable streams of numbers in
// [0, 1) and whole numbers below a bound. Not cryptographic: it only decides which logical
// address a name gets, which connections a fault hits, jitter and slice sizes.

/** A repeatable stream of pseudo-random numbers. */
export interface Prng {
  /** A number in [0, 1). */
  next(): number;
  /** A whole number in [0, bound), bound ≥ 1. */
  int(bound: number): number;
}

/** FNV-1a over the UTF-16 code units of `text`: a 32-bit label hash. */
export function hashLabel(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The seed of a sub-stream: the parent seed mixed with each label in turn. */
export function deriveSeed(seed: number, ...labels: readonly (string | number)[]): number {
  let s = seed >>> 0;
  for (const label of labels) {
    s = mix32((s ^ hashLabel(String(label))) >>> 0);
  }
  return s;
}

/** A 32-bit finaliser (murmur3's fmix32). */
function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: small, fast, good enough for test decisions. */
export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (bound: number) => Math.floor(next() * Math.max(1, Math.floor(bound))),
  };
}
