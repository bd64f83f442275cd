// Runs a fast-check property inside a tap test with a fixed, printed seed (the pattern of
// suites/lib/property.ts, kept here because relay/test may not import suites/). In: a property
// and a run count. Out: one tap assertion whose failure message carries the seed, the path and
// the counterexample, so the failure replays with FC_SEED=<seed> (and FC_PATH=<path>).
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

function parameters(numRuns: number): fc.Parameters<unknown> {
  const path = process.env.FC_PATH;
  return {
    numRuns,
    seed: propertySeed(),
    ...(path !== undefined && path !== '' ? { path, endOnFailure: true } : {}),
  };
}

function report(t: tap.Test, details: fc.RunDetails<unknown>): void {
  const seed = propertySeed();
  if (details.failed) {
    t.fail(`property failed (seed ${seed}): ${fc.defaultReportMessage(details)}`);
  } else {
    t.pass(`property held for ${details.numRuns} runs (seed ${seed})`);
  }
}

/** Checks a synchronous `property` for `numRuns` runs and reports into `t`. */
export function checkProperty<Ts>(
  t: tap.Test,
  property: fc.IProperty<Ts>,
  numRuns: number = PROPERTY_RUNS,
): void {
  report(t, fc.check(property, parameters(numRuns) as fc.Parameters<Ts>) as fc.RunDetails<unknown>);
}

/** Checks a synchronous or asynchronous `property`; await it. */
export async function checkAsyncProperty<Ts>(
  t: tap.Test,
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  numRuns: number = PROPERTY_RUNS,
): Promise<void> {
  report(
    t,
    (await fc.check(property, parameters(numRuns) as fc.Parameters<Ts>)) as fc.RunDetails<unknown>,
  );
}
