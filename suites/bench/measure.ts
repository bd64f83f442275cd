// Small measuring tools for benchmarks (never for tests). In: a function to time. Out:
// rates from interleaved rounds, reported as medians.
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Runs `fn` repeatedly for at least `ms` and returns the calls per second. */
export function ratePerSecond(fn: () => void, ms: number): number {
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    fn();
    calls += 1;
    now = performance.now();
  }
  return (calls * 1000) / (now - start);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

/**
 * Interleaves rounds of several candidates (A B A B ...) so that drift in the machine's
 * load hits them alike, and returns each candidate's median rate.
 */
export function interleaved(
  candidates: Readonly<Record<string, () => void>>,
  rounds: number,
  msPerRound: number,
): Record<string, number> {
  const rates: Record<string, number[]> = {};
  for (const name of Object.keys(candidates)) rates[name] = [];
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(candidates)) {
      rates[name]?.push(ratePerSecond(fn, msPerRound));
    }
  }
  const out: Record<string, number> = {};
  for (const [name, list] of Object.entries(rates)) out[name] = median(list);
  return out;
}

/** A memory figure of process `pid` in KiB, from /proc/<pid>/status (Linux). */
export function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
}

/** Resets the peak RSS (VmHWM) of `pid` (Linux: clear_refs 5); false when not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${String(pid)}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
