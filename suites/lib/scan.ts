// Finds which conformance test file declares which case. In: the suites/ folder on disk.
// Out: every `kase('ID', ...)` declaration with its file and line. Used by the catalogue
// sync test and by `relaycheck run` to choose the files to execute.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const SUITES_DIR = join(__dirname, '..');
export const REPO_ROOT = join(SUITES_DIR, '..');

export interface Declaration {
  readonly id: string;
  /** Path relative to the repository root, with forward slashes. */
  readonly file: string;
  readonly line: number;
}

const KASE = /\bkase\(\s*['"`]([^'"`]+)['"`]/g;

/** Every `*.test.ts` file below `dir`, sorted, as absolute paths. */
export function testFiles(dir: string = SUITES_DIR): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(full));
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) out.push(full);
  }
  return out.sort();
}

/** All case declarations in the conformance test files, in file then line order. */
export function scanDeclarations(dir: string = SUITES_DIR): Declaration[] {
  const out: Declaration[] = [];
  for (const file of testFiles(dir)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(KASE)) {
      const line = text.slice(0, m.index).split('\n').length;
      out.push({ id: m[1] ?? '', file: relative(REPO_ROOT, file).split('\\').join('/'), line });
    }
  }
  return out;
}
