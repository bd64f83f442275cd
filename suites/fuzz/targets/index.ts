// Finds the fuzz targets. In: the modules in this folder. Out: each exported FuzzTarget
// (any export with a name, an arbitrary and a run function), by module and export name.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FuzzTarget } from '../types';

export interface TargetRef {
  /** Absolute path of the module. */
  readonly file: string;
  readonly exportName: string;
  readonly name: string;
}

function isTarget(v: unknown): v is FuzzTarget {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.name === 'string' && typeof o.run === 'function' && typeof o.arbitrary === 'object'
  );
}

function load(file: string): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as Record<string, unknown>;
}

/** Every target in `dir` (default suites/fuzz/targets/), in file then export order. */
export function listTargets(dir: string = __dirname): TargetRef[] {
  const refs: TargetRef[] = [];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
    .sort()
    .map((f) => join(dir, f));
  for (const file of files) {
    for (const [exportName, value] of Object.entries(load(file))) {
      if (isTarget(value)) refs.push({ file, exportName, name: value.name });
    }
  }
  return refs;
}

/** The target `exportName` of `file`. */
export function loadTarget(file: string, exportName: string): FuzzTarget {
  const value = load(file)[exportName];
  if (!isTarget(value)) throw new Error(`${file} has no fuzz target ${exportName}`);
  return value;
}
