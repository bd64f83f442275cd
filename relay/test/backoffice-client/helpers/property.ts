// Runs a fast-check property inside a tap test with a fixed, printed seed (FC_SEED overrides),
// the pattern of suites/lib/property.ts (relay/ may not import suites/). Out: one tap assertion
// whose failure message carries the seed, the path and the counterexample.
import fc from 'fast-check';

export function propertySeed(): number {
  const raw = process.env.FC_SEED;
  if (raw === undefined || raw === '') return 0x5eed;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer, got ${raw}`);
  return seed;
}

export async function checkProperty<Ts>(
  t: tap.Test,
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  numRuns = 1000,
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
