// A tiny seeded pseudo-random generator for the back-office data sets and fault decisions.
// In: a seed (text or number) and labels that split it into independent streams. Out:
// numbers from mulberry32, whose whole state is one 32-bit integer, so the fault decision
// function can carry it as plain data. Pure: the same seed gives the same sequence forever.
// Not cryptographic: never use it for keys, tokens or file names an attacker could guess.
import { createHash } from 'node:crypto';

/** One mulberry32 step: the next state and a float in [0, 1). Pure. */
export function mulberry32(state: number): { readonly state: number; readonly value: number } {
  const next = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(next ^ (next >>> 15), next | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  const value = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  return { state: next >>> 0, value };
}

/** A 32-bit state from a seed and labels (SHA-256 of their UTF-8 text, NUL-separated). */
export function seedState(seed: string | number, ...labels: readonly string[]): number {
  const hash = createHash('sha256');
  hash.update(String(seed));
  for (const label of labels) hash.update(`\u0000${label}`);
  return hash.digest().readUInt32BE(0);
}

/** A mutable cursor over mulberry32, with the helpers the generators need. */
export class Rng {
  #state: number;

  constructor(seed: string | number, ...labels: readonly string[]) {
    this.#state = seedState(seed, ...labels);
  }

  /** The current state: `Rng.fromState(s)` continues the same sequence. */
  get state(): number {
    return this.#state;
  }

  static fromState(state: number): Rng {
    const r = new Rng(0);
    r.#state = state >>> 0;
    return r;
  }

  /** A float in [0, 1). */
  next(): number {
    const step = mulberry32(this.#state);
    this.#state = step.state;
    return step.value;
  }

  /** A whole number in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError('Rng.pick: the list is empty');
    return item;
  }

  /** A standard normal deviate (Box-Muller; two draws). */
  normal(): number {
    return standardNormal(this.next(), this.next());
  }

  /** `n` decimal digits as text (leading zeros kept). */
  digits(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += String(Math.floor(this.next() * 10));
    return out;
  }
}

/** Box-Muller from two uniforms in [0, 1); u1 = 0 is nudged so the log stays finite. */
export function standardNormal(u1: number, u2: number): number {
  const r = Math.sqrt(-2 * Math.log(u1 <= 0 ? Number.MIN_VALUE : u1));
  return r * Math.cos(2 * Math.PI * u2);
}
