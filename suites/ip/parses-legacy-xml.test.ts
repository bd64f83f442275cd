// IP-001: the legacy list. In: fixtures/service-tags/PublicIPs_uk_2019-09.xml (the guide's
// September 2019 UK list as clean XML). Out: 55 uksouth and 36 ukwest ranges, in order.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatCidr, parseLegacyXml, parseSource } from '../../relay/src/egress';
import { kase } from '../lib/case';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'service-tags');
const CLEAN = readFileSync(join(FIXTURES, 'PublicIPs_uk_2019-09.xml'), 'utf8');

void kase('IP-001', async (t) => {
  const source = parseLegacyXml(CLEAN);

  await t.test('the list has the two UK regions with as many ranges as IpRange lines', (t) => {
    t.same(
      source.groups.map((g) => [g.region, g.prefixes.length]),
      [
        ['uksouth', 55],
        ['ukwest', 36],
      ],
    );
    const lines = CLEAN.split('\n').filter((l) => l.includes('<IpRange ')).length;
    t.equal(lines, 91);
    t.end();
  });

  await t.test('every range is kept in document order, exactly as written', (t) => {
    const written = [...CLEAN.matchAll(/Subnet="([^"]+)"/g)].map((m) => m[1]);
    t.same(
      source.groups.flatMap((g) => g.prefixes.map(formatCidr)),
      written,
    );
    t.equal(source.groups[0]?.prefixes.map(formatCidr)[0], '13.104.145.160/27');
    t.equal(source.groups[1]?.prefixes.map(formatCidr).at(-1), '104.44.90.0/27');
    t.end();
  });

  await t.test('the legacy list is recognised as XML with no tags and no changeNumber', (t) => {
    const detected = parseSource(Buffer.from(CLEAN));
    t.equal(detected.format, 'xml');
    t.equal(detected.layout, 'legacy-xml');
    t.equal(detected.changeNumber, undefined);
    t.ok(detected.groups.every((g) => g.tag === undefined && g.family === 'AzureCloud'));
    t.end();
  });
});
