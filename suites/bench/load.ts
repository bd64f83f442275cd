// An open-loop load generator with stepped offered rates, for the workload benchmarks (never
// for tests' pass/fail). In: the offered rates (per second), the length of each step, a bound on
// requests in flight, and `send(i)` (resolves when the request is answered). Out: per step, the
// offered and achieved rates (answers that came inside the step), latencies (p50/p95/p99 of every
// request of the step, waited for after it), errors, requests shed at the in-flight bound, and
// whether the step saturated (achieved < 90% of offered, or shed > 0). The steps stop after the
// first saturated one; an optional hook runs between steps, outside their timing. Requests go
// out on schedule whether or not earlier ones were answered.
import { performance } from 'node:perf_hooks';

export interface StepResult {
  readonly offeredPerSecond: number;
  readonly sent: number;
  readonly answered: number;
  readonly errors: number;
  readonly shed: number;
  /** Answers that came inside the step, per second. */
  readonly achievedPerSecond: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly saturated: boolean;
  /** The first few error messages. */
  readonly errorSamples: readonly string[];
}

export interface SteppedLoadOptions {
  readonly rates: readonly number[];
  readonly stepMs: number;
  readonly maxInFlight: number;
  /** How long the answers of a step are waited for after it (default 60 s). */
  readonly drainMs?: number;
  readonly send: (i: number) => Promise<void>;
  /** Told when a step ends (for progress). */
  readonly onStep?: (step: StepResult) => void;
  /**
   * Runs after each step's answers were waited for, before the next step and outside its
   * timing (checks of what the step delivered, clearing up what it wrote).
   */
  readonly afterStep?: () => Promise<void>;
}

/** The q-quantile (0..1) of sorted values, nearest rank; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}

async function oneStep(
  rate: number,
  options: SteppedLoadOptions,
  first: number,
): Promise<StepResult> {
  const start = performance.now();
  const end = start + options.stepMs;
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let sent = 0;
  let answered = 0;
  let answeredInStep = 0;
  let errors = 0;
  let shed = 0;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  for (;;) {
    const now = performance.now();
    if (now >= end) break;
    const due = Math.floor(((now - start) * rate) / 1000) + 1;
    while (sent + shed < due) {
      if (inFlight >= options.maxInFlight) {
        shed += 1;
        continue;
      }
      const i = first + sent;
      sent += 1;
      inFlight += 1;
      const t0 = performance.now();
      const p: Promise<void> = options
        .send(i)
        .then(
          () => {
            const t1 = performance.now();
            latencies.push(t1 - t0);
            answered += 1;
            if (t1 <= end) answeredInStep += 1;
          },
          (e: unknown) => {
            errors += 1;
            if (errorSamples.length < 5)
              errorSamples.push(e instanceof Error ? e.message : String(e));
          },
        )
        .finally(() => {
          inFlight -= 1;
          pending.delete(p);
        });
      pending.add(p);
    }
    // Yield to the answers, then send what has come due since.
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const drainMs = options.drainMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled([...pending]),
    new Promise((resolve) => {
      timer = setTimeout(resolve, drainMs);
    }),
  ]);
  clearTimeout(timer);
  const sorted = [...latencies].sort((a, b) => a - b);
  const achieved = (answeredInStep * 1000) / options.stepMs;
  return {
    offeredPerSecond: rate,
    sent,
    answered,
    errors,
    shed,
    achievedPerSecond: achieved,
    p50Ms: quantile(sorted, 0.5),
    p95Ms: quantile(sorted, 0.95),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1] ?? NaN,
    saturated: achieved < 0.9 * rate || shed > 0 || errors > 0,
    errorSamples,
  };
}

/** Runs the steps in order, stopping after the first saturated one. */
export async function steppedLoad(options: SteppedLoadOptions): Promise<StepResult[]> {
  const out: StepResult[] = [];
  let first = 0;
  for (const rate of options.rates) {
    const step = await oneStep(rate, options, first);
    first += step.sent;
    out.push(step);
    options.onStep?.(step);
    await options.afterStep?.();
    if (step.saturated) break;
  }
  return out;
}
