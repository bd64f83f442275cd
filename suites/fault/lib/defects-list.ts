// The deliberate defects of ./defects.js as TypeScript sees them. In: nothing. Out: their names
// and descriptions (for `relaycheck reproduce --defect`, the tests and docs/scenarios.md).
// The defects themselves stay plain JavaScript: they are loaded into the relay child by
// ./relay-preload.js before the relay's own loader runs.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * A plain JavaScript file of suites/fault/lib (not compiled into dist/): found from the
 * sources or from dist/suites/fault/lib by walking up to the repository.
 */
export function faultLibJs(name: string): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'suites', 'fault', 'lib', name);
    if (existsSync(candidate)) return candidate;
    const here = join(dir, name);
    if (i === 0 && existsSync(here)) return here;
    dir = join(dir, '..');
  }
  throw new Error(`suites/fault/lib/${name} is missing`);
}

interface DefectModule {
  readonly DEFECTS: Readonly<Record<string, { readonly description: string }>>;
}

const load = createRequire(__filename);

function defects(): DefectModule['DEFECTS'] {
  return (load(faultLibJs('defects.js')) as DefectModule).DEFECTS;
}

/** Every defect's name, sorted. */
export function defectNames(): string[] {
  return Object.keys(defects()).sort();
}

/** What a defect breaks, in a sentence. */
export function defectDescription(name: string): string | undefined {
  return defects()[name]?.description;
}
