// The listener's reconnect schedule. In: the attempt number (0 = first reconnect after a
// drop), the base delays (default 0, 1, 2, 5, 10, 30 s), the jitter fraction and a random
// source. Out: the delay to wait, drawn from [base, base * (1 + jitter)]. Pure.
import type { RandomSource } from './scheduler';

/** The base delay of `attempt`: the last one repeats. */
export function baseDelay(attempt: number, delays: readonly number[]): number {
  const i = Math.max(0, Math.min(Math.floor(attempt), delays.length - 1));
  return delays[i] ?? 0;
}

/** The smallest and largest delay `attempt` may get. */
export function delayBounds(
  attempt: number,
  delays: readonly number[],
  jitter: number,
): readonly [number, number] {
  const base = baseDelay(attempt, delays);
  return [base, Math.floor(base * (1 + jitter))];
}

/**
 * The delay before reconnect `attempt`: base * (1 + jitter * u), u from `random` clamped to
 * [0, 1) (a source returning NaN or out-of-range values cannot push it outside the bounds).
 * With delays that never decrease by more than the jitter (checked by the config), the
 * delays of successive attempts never decrease either.
 */
export function reconnectDelay(
  attempt: number,
  delays: readonly number[],
  jitter: number,
  random: RandomSource,
): number {
  const base = baseDelay(attempt, delays);
  const r = random();
  const u = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return Math.min(Math.floor(base * (1 + jitter * u)), Math.floor(base * (1 + jitter)));
}
