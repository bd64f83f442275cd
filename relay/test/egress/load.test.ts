// Unit tests of the loader (relay/src/egress/load.ts) and of the error family: files in a
// tap test directory, each IO failure mapped to a typed code, and docs/errors.md listing
// exactly the IP_E_* codes declared in relay/src/egress/errors.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { RANGES_ERRORS, RangesError, isRangesError } from '../../src/egress/errors';
import { loadServiceTagSource, selectRangesFromFile } from '../../src/egress/load';
import { RelaycheckError } from '../../src/protocol/errors';

const FIXTURES = join(__dirname, '..', '..', '..', 'fixtures', 'service-tags');

void t.test(
  'the loader detects JSON and XML by content, whatever the file is called',
  async (t) => {
    const dir = t.testdir({
      'tags.txt': readFileSync(join(FIXTURES, 'ServiceBus.UKWest.json')),
      'list.json': readFileSync(join(FIXTURES, 'PublicIPs_uk_2019-09.xml')),
    });
    const json = await loadServiceTagSource(join(dir, 'tags.txt'));
    t.equal(json.format, 'json');
    t.equal(json.bytes, 480);
    t.equal((await loadServiceTagSource(join(dir, 'list.json'))).format, 'xml');
  },
);

void t.test('selectRangesFromFile reads, detects and selects in one call', async (t) => {
  const sel = await selectRangesFromFile(join(FIXTURES, 'PublicIPs_uk_2019-09.xml'), {
    regions: ['ukwest'],
    aggregate: true,
  });
  t.equal(sel.format, 'xml');
  t.ok(sel.prefixes.length > 0);
});

void t.test('a missing file, a directory and an oversized file are typed errors', async (t) => {
  const dir = t.testdir({ 'big.json': '{}'.padEnd(100, ' '), sub: {} });
  await t.rejects(loadServiceTagSource(join(dir, 'nope.json')), {
    code: 'IP_E_SOURCE',
    message: /no such file/,
    details: { errno: 'ENOENT' },
  });
  await t.rejects(loadServiceTagSource(join(dir, 'sub')), {
    code: 'IP_E_SOURCE',
    message: /directory/,
  });
  await t.rejects(loadServiceTagSource(join(dir, 'big.json'), { maxBytes: 50 }), {
    code: 'IP_E_SIZE',
  });
});

void t.test('an unknown format or encoding is refused when loading', async (t) => {
  const dir = t.testdir({
    'page.html': '<!DOCTYPE html>\n<html><body>Download</body></html>',
    'list.txt': '13.104.145.160/27\n',
    'utf16.xml': Buffer.from('\ufeff<a/>', 'utf16le'),
  });
  await t.rejects(loadServiceTagSource(join(dir, 'page.html')), {
    code: 'IP_E_FORMAT',
    message: /HTML page/,
  });
  await t.rejects(loadServiceTagSource(join(dir, 'list.txt')), { code: 'IP_E_FORMAT' });
  await t.rejects(loadServiceTagSource(join(dir, 'utf16.xml')), { code: 'IP_E_ENCODING' });
});

void t.test('every ranges error is a RelaycheckError with a catalogued IP_E_ code', (t) => {
  const e = new RangesError('IP_E_REGION', 'x', { region: 'y' });
  t.ok(e instanceof RelaycheckError);
  t.equal(e.name, 'RangesError');
  t.ok(isRangesError(e, 'IP_E_REGION'));
  t.notOk(isRangesError(e, 'IP_E_TAG'));
  t.notOk(isRangesError(new Error('x')));
  for (const code of RANGES_ERRORS.codes) t.match(code, /^IP_E_[A-Z]+$/);
  t.end();
});

void t.test('docs/errors.md lists exactly the declared IP_E_ codes in the IP ranges table', (t) => {
  const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'errors.md'), 'utf8');
  const start = doc.indexOf('## Azure IP ranges');
  const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
  const rows = [...section.matchAll(/^\| `(IP_E_[A-Z_]+)` *\|/gm)].map((m) => m[1]);
  t.same(rows, [...RANGES_ERRORS.codes]);
  t.end();
});
