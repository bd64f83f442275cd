// IP-004 and IP-005: the list copied out of the guide. In: the copied fixture, whose tags
// read `<IpRange\u00A0Subnet=...`. Out: by default a RangesError IP_E_CHARACTER naming line
// 4, column 13 and U+00A0; with tolerateNbsp the 91 U+00A0 are replaced and counted and the
// ranges are exactly those of the clean file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLegacyXml, selectRanges, selectRangesFromFile } from '../../relay/src/egress';
import { kase } from '../lib/case';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'service-tags');
const COPIED_PATH = join(FIXTURES, 'PublicIPs_uk_2019-09.copied-from-guide.xml');
const COPIED = readFileSync(COPIED_PATH, 'utf8');

const EXPECTED = {
  name: 'RangesError',
  code: 'IP_E_CHARACTER',
  details: { line: 4, column: 13, character: 'U+00A0', name: 'NO-BREAK SPACE' },
};

void kase('IP-004', async (t) => {
  await t.test('the fixture really has U+00A0 at line 4, column 13', (t) => {
    const line4 = COPIED.split('\n')[3] ?? '';
    t.equal(line4.codePointAt(12), 0xa0);
    t.end();
  });

  await t.test('the parser refuses it and the message names line, column and character', (t) => {
    t.throws(() => parseLegacyXml(COPIED), {
      ...EXPECTED,
      message: new RegExp(
        '^line 4, column 13: U\\+00A0 NO-BREAK SPACE where XML allows only space, tab, CR or LF between a tag name and its attributes',
      ),
    });
    t.end();
  });

  await t.test('the message says how to get past it', (t) => {
    t.throws(() => parseLegacyXml(COPIED), { message: /tolerant option/ });
    t.end();
  });

  await t.test('the same refusal comes through selectRanges and the file loader', async (t) => {
    t.throws(() => selectRanges(COPIED, { regions: ['uksouth'] }), EXPECTED);
    await t.rejects(selectRangesFromFile(COPIED_PATH, { regions: ['uksouth'] }), EXPECTED);
  });
});

const CLEAN = readFileSync(join(FIXTURES, 'PublicIPs_uk_2019-09.xml'), 'utf8');
void kase('IP-005', async (t) => {
  await t.test('every U+00A0 is replaced and the count is reported', (t) => {
    const count = COPIED.split('\u00a0').length - 1;
    t.equal(count, 91);
    t.equal(parseLegacyXml(COPIED, { tolerateNbsp: true }).nbspReplaced, 91);
    t.equal(parseLegacyXml(CLEAN, { tolerateNbsp: true }).nbspReplaced, 0);
    t.end();
  });

  await t.test('the tolerant result equals the clean file exactly', (t) => {
    const tolerant = parseLegacyXml(COPIED, { tolerateNbsp: true });
    const clean = parseLegacyXml(CLEAN);
    t.same(tolerant.groups, clean.groups);
    t.same(tolerant.warnings, []);
    t.end();
  });

  await t.test('the same holds for a UK selection, aggregated or not', (t) => {
    for (const aggregate of [false, true]) {
      const options = { regions: ['uksouth', 'ukwest'], aggregate };
      const fromCopy = selectRanges(COPIED, { ...options, tolerateNbsp: true });
      const fromClean = selectRanges(CLEAN, options);
      t.same(fromCopy.prefixes, fromClean.prefixes, `aggregate: ${aggregate}`);
      t.equal(fromCopy.nbspReplaced, 91);
    }
    t.end();
  });

  await t.test(
    'the guide text as it appears in the guide (trailing U+00A0 after tags) is tolerated too',
    (t) => {
      const guideStyle = COPIED.replace(/\/>\n/g, '/>\u00a0\n').replace(
        '</Region>\n',
        '</Region>\u00a0\n',
      );
      const parsed = parseLegacyXml(guideStyle, { tolerateNbsp: true });
      t.same(parsed.groups, parseLegacyXml(CLEAN).groups);
      t.equal(parsed.nbspReplaced, 91 + 91 + 1);
      t.throws(() => parseLegacyXml(guideStyle), { code: 'IP_E_CHARACTER' });
      t.end();
    },
  );
});
