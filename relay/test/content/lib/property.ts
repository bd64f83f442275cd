// Runs a fast-check property inside a tap test (the pattern of suites/lib/property.ts, copied
// because relay/test may not import suites/). In: a property and a run count. Out: one tap
// assertion; on failure its message carries the seed, the path and the counterexample, so the
// failure replays with FC_SEED=<seed> (and FC_PATH=<path>).
import fc from 'fast-check';

/** Default number of runs of each property. */
export const PROPERTY_RUNS = 1000;

/** FC_SEED when set, else a fixed default so that runs are repeatable. */
export function propertySeed(): number {
  const raw = process.env.FC_SEED;
  if (raw === undefined || raw === '') return 0x5eed;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer, got ${raw}`);
  return seed;
}

/** Checks `property` for `numRuns` runs and reports into `t` (seed printed either way). */
export async function checkProperty<Ts>(
  t: tap.Test,
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  numRuns: number = PROPERTY_RUNS,
): Promise<void> {
  const seed = propertySeed();
  const path = process.env.FC_PATH;
  const details = await fc.check(property, {
    numRuns,
    seed,
    ...(path !== undefined && path !== '' ? { path, endOnFailure: true } : {}),
  });
  if (details.failed) {
    t.fail(`property failed (seed ${seed}): ${fc.defaultReportMessage(details) ?? 'no report'}`);
  } else {
    t.pass(`property held for ${details.numRuns} runs (seed ${seed})`);
  }
}
