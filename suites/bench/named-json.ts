// The named JSON files of the benchmarks' fixtures (fixtures/profiles, fixtures/workloads). In:
// a folder, a name and the schema its file must meet. Out: the names there are files for, or
// the file's content validated; an unknown name lists the known ones, a file that does not meet
// the schema names the field, a file whose `name` is not its own is refused (BENCH_E_FIXTURE).
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { z } from 'zod';
import { BenchError } from './errors';

/** The names of the .json files in `dir`, sorted. */
export function jsonNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** Reads `<dir>/<name>.json` against `schema`; `what` names the kind in errors. */
export function loadNamedJson<T extends { readonly name: string }>(
  dir: string,
  name: string,
  schema: z.ZodType<T>,
  what: string,
): T {
  const known = jsonNames(dir);
  if (!known.includes(name)) {
    throw new BenchError('BENCH_E_FIXTURE', `no ${what} "${name}" (known: ${known.join(', ')})`, {
      path: `fixtures/${basename(dir)}`,
    });
  }
  const where = `fixtures/${basename(dir)}/${name}.json`;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
  } catch (e) {
    throw new BenchError(
      'BENCH_E_FIXTURE',
      `${where} is not JSON: ${e instanceof Error ? e.message : String(e)}`,
      { path: where },
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = (issue?.path ?? []).join('.');
    throw new BenchError('BENCH_E_FIXTURE', `${where}: ${field}: ${issue?.message ?? 'invalid'}`, {
      path: `${where}${field === '' ? '' : `#${field}`}`,
    });
  }
  if (parsed.data.name !== name) {
    throw new BenchError('BENCH_E_FIXTURE', `${where} names itself "${parsed.data.name}"`, {
      path: where,
    });
  }
  return parsed.data;
}
