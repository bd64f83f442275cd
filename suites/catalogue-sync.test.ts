// Keeps the catalogue and the conformance tests in step (CASES.md): every catalogued id has
// exactly one test, and every test names a catalogued id. In: suites/ on disk. Out: tap results.
import t from 'tap';
import { CATALOGUE } from './catalogue';
import { scanDeclarations } from './lib/scan';

const declarations = scanDeclarations();
const catalogued = new Set(CATALOGUE.map((c) => c.id));

void t.test('every catalogued case has exactly one test', (t) => {
  for (const c of CATALOGUE) {
    const where = declarations.filter((d) => d.id === c.id).map((d) => `${d.file}:${d.line}`);
    t.equal(where.length, 1, `${c.id} is declared by ${where.length} tests: ${where.join(', ')}`);
  }
  t.end();
});

void t.test('every test names a catalogued case', (t) => {
  const strays = declarations.filter((d) => !catalogued.has(d.id));
  t.same(
    strays.map((d) => `${d.id} at ${d.file}:${d.line}`),
    [],
    'test files declare ids that are not in suites/catalogue/',
  );
  t.end();
});

void t.test('the catalogue is not empty and every area it names has cases', (t) => {
  t.ok(CATALOGUE.length > 0, 'the catalogue holds cases');
  const areas = new Set(CATALOGUE.map((c) => c.area));
  for (const area of ['hs', 'env', 'sas', 'ip'])
    t.ok(areas.has(area as never), `area ${area} has cases`);
  t.end();
});
