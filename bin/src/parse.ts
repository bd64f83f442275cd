// Option value parsers for commander. In: the raw text of an option. Out: a typed value,
// or commander's InvalidArgumentError with a one-line reason (exit code 2).
import { InvalidArgumentError } from 'commander';

/** A comma-separated list whose items must each be one of `allowed` (case-insensitive). */
export function listOf<T extends string>(allowed: readonly T[], what: string) {
  return (raw: string, previous: T[] = []): T[] => {
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (items.length === 0) throw new InvalidArgumentError(`expected one or more ${what}`);
    const out = [...previous];
    for (const item of items) {
      const found = allowed.find((a) => a.toLowerCase() === item.toLowerCase());
      if (found === undefined) {
        throw new InvalidArgumentError(
          `unknown ${what} '${item}' (expected ${allowed.join(', ')})`,
        );
      }
      if (!out.includes(found)) out.push(found);
    }
    return out;
  };
}

/** A comma-separated list of free-form items (repeatable option). */
export function csv(raw: string, previous: string[] = []): string[] {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new InvalidArgumentError('expected a non-empty value');
  return [...previous, ...items];
}

/** One of a fixed set of words. */
export function oneOf<T extends string>(allowed: readonly T[]) {
  return (raw: string): T => {
    const found = allowed.find((a) => a === raw);
    if (found === undefined)
      throw new InvalidArgumentError(`expected one of ${allowed.join(', ')}`);
    return found;
  };
}

/** An integer within [min, max]. */
export function integer(min: number, max: number) {
  return (raw: string): number => {
    if (!/^-?\d+$/.test(raw)) throw new InvalidArgumentError('expected a whole number');
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}
