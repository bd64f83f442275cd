// Keeps docs/errors.md in step with the code: every declared code has exactly one row in
// its family's section, every row names a declared code, and the row's HTTP status and AMQP
// condition are the ones the code renders on the wire.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ERROR_FAMILIES } from '../src/error-families';

interface Row {
  readonly code: string;
  readonly section: string;
  readonly meaning: string;
  readonly http: string;
  readonly amqp: string;
}

const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'errors.md'), 'utf8');

function rows(): Row[] {
  const out: Row[] = [];
  let section = '';
  for (const line of doc.split('\n')) {
    if (line.startsWith('## ')) section = line;
    const cells = line.split('|').map((c) => c.trim());
    const code = /^`?([A-Z]+_E_[A-Z0-9_]+)`?$/.exec(cells[1] ?? '')?.[1];
    if (line.startsWith('|') && code !== undefined) {
      out.push({
        code,
        section,
        meaning: cells[2] ?? '',
        http: cells[3] ?? '',
        amqp: (cells[4] ?? '').replace(/`/g, ''),
      });
    }
  }
  return out;
}

const documented = rows();
const EMPTY = new Set(['', '-', '—']);

void t.test('every declared error code has exactly one row in docs/errors.md', (t) => {
  for (const family of ERROR_FAMILIES) {
    for (const code of family.codes) {
      const found = documented.filter((r) => r.code === code);
      t.equal(found.length, 1, `${code} (${family.name}) has ${found.length} rows`);
    }
  }
  t.end();
});

void t.test('every row of docs/errors.md names a declared code', (t) => {
  const declared = new Set(ERROR_FAMILIES.flatMap((f) => f.codes));
  t.same(
    documented.filter((r) => !declared.has(r.code)).map((r) => r.code),
    [],
    'rows for codes that no family declares',
  );
  t.end();
});

void t.test('each code is listed in the section of its own family prefix', (t) => {
  for (const r of documented) {
    const prefix = r.code.slice(0, r.code.indexOf('_E_') + 3);
    t.ok(r.section.includes(prefix), `${r.code} sits under "${r.section}"`);
  }
  t.end();
});

void t.test('the http and amqp columns match what each code renders on the wire', (t) => {
  for (const family of ERROR_FAMILIES) {
    for (const code of family.codes) {
      const spec = (family.specs as Record<string, { http?: number; amqp?: string }>)[code];
      const row = documented.find((r) => r.code === code);
      if (row === undefined || spec === undefined) continue; // reported by the first test
      t.equal(EMPTY.has(row.http) ? undefined : Number(row.http), spec.http, `${code} http`);
      t.equal(EMPTY.has(row.amqp) ? undefined : row.amqp, spec.amqp, `${code} amqp`);
    }
  }
  t.end();
});

void t.test('every row says in words what went wrong', (t) => {
  for (const r of documented) {
    t.ok(r.meaning.length >= 20 && /\s/.test(r.meaning), `${r.code}: "${r.meaning}"`);
  }
  t.end();
});

void t.test('codes are unique across families', (t) => {
  const all = ERROR_FAMILIES.flatMap((f) => f.codes);
  t.equal(new Set(all).size, all.length);
  t.end();
});
