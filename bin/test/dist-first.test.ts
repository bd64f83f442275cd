// bin/dist-first.js, the loader every test process gets: compiled dist/ code for a .ts file
// only when it is at least as new as the source, else the TypeScript loader. In: a small .ts
// module and its "compiled" twin written here under the repository (removed at the end), and a
// child node process with the loader. Out: which code ran, and the .ts line a stack names.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';

const ROOT = join(__dirname, '..', '..');
const REL = join('bin', 'test', 'fixtures', `dist-first-${String(process.pid)}`);
const SRC = join(ROOT, REL);
const OUT = join(ROOT, 'dist', REL);

t.teardown(() => {
  rmSync(SRC, { recursive: true, force: true });
  rmSync(OUT, { recursive: true, force: true });
});

/** Requires `m.ts` in a child with the loader; its fallback for .ts reports itself. */
function load(): string {
  const script = `
    require(${JSON.stringify(join(ROOT, 'bin', 'dist-first.js'))});
    const Module = require('node:module');
    Module._extensions['.ts'] = (m) => { m.exports = { from: 'typescript loader' }; };
    const got = require(${JSON.stringify(join(SRC, 'm.ts'))});
    process.stdout.write(got.from);
  `;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  return r.stdout + r.stderr;
}

void t.test('a fresh compiled file is used, a stale one is not', (t) => {
  mkdirSync(SRC, { recursive: true });
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(SRC, 'm.ts'), "export const from = 'source';\n");
  writeFileSync(join(OUT, 'm.js'), "'use strict';\nexports.from = 'dist';\n");
  const old = new Date(Date.now() - 60_000);
  utimesSync(join(SRC, 'm.ts'), old, old);
  t.equal(load(), 'dist', 'dist/ is at least as new as the source: the compiled code runs');
  const newer = new Date(Date.now() + 60_000);
  utimesSync(join(SRC, 'm.ts'), newer, newer);
  t.equal(load(), 'typescript loader', 'the source changed since the build: it is transpiled');
  rmSync(join(OUT, 'm.js'));
  t.equal(load(), 'typescript loader', 'nothing compiled: it is transpiled');
  t.end();
});
