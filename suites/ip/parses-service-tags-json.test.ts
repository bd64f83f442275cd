// IP-002 and IP-003: the current format. In: fixtures/service-tags/ServiceTags_Public_excerpt_uk.json
// (four real tags of changeNumber 367) and the four real single tag records. Out: every tag
// with its region, changeNumber and IPv4 and IPv6 prefixes exactly as in the file; each
// record on its own equals the same tag in the combined file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatCidr, parseServiceTagsJson, selectRanges } from '../../relay/src/egress';
import { kase } from '../lib/case';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'service-tags');
const TEXT = readFileSync(join(FIXTURES, 'ServiceTags_Public_excerpt_uk.json'), 'utf8');

interface RawTag {
  name: string;
  properties: { changeNumber: number; region: string; addressPrefixes: string[] };
}

void kase('IP-002', async (t) => {
  const raw = JSON.parse(TEXT) as { changeNumber: number; cloud: string; values: RawTag[] };
  const source = parseServiceTagsJson(TEXT);

  await t.test('the file-level changeNumber and cloud are kept', (t) => {
    t.equal(source.format, 'json');
    t.equal(source.layout, 'service-tags');
    t.equal(source.changeNumber, 367);
    t.equal(source.cloud, 'Public');
    t.end();
  });

  await t.test('every tag keeps its name, region, changeNumber and prefix count', (t) => {
    t.same(
      source.groups.map((g) => [g.tag, g.region, g.changeNumber, g.prefixes.length]),
      [
        ['AzureCloud.uksouth', 'uksouth', 107, 230],
        ['AzureCloud.ukwest', 'ukwest', 62, 141],
        ['ServiceBus.UKSouth', 'uksouth', 9, 14],
        ['ServiceBus.UKWest', 'ukwest', 7, 6],
      ],
    );
    t.end();
  });

  await t.test('the prefixes read back exactly as written, IPv4 and IPv6 alike', (t) => {
    source.groups.forEach((g, i) => {
      t.same(g.prefixes.map(formatCidr), raw.values[i]?.properties.addressPrefixes, g.tag ?? '');
    });
    const v6 = source.groups.flatMap((g) => g.prefixes).filter((c) => c.family === 6).length;
    t.equal(v6, 40 + 38 + 5 + 3, 'the IPv6 prefixes are all there');
    t.end();
  });
});

const read = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const RECORDS = [
  'AzureCloud.uksouth',
  'AzureCloud.ukwest',
  'ServiceBus.UKSouth',
  'ServiceBus.UKWest',
] as const;

void kase('IP-003', async (t) => {
  const combined = parseServiceTagsJson(read('ServiceTags_Public_excerpt_uk.json'));

  for (const name of RECORDS) {
    await t.test(`${name}.json equals the ${name} tag of the combined file`, (t) => {
      const record = parseServiceTagsJson(read(`${name}.json`));
      t.equal(record.layout, 'tag-record');
      t.equal(record.groups.length, 1);
      const inCombined = combined.groups.find((g) => g.tag === name);
      t.same(record.groups[0], inCombined);
      t.equal(record.changeNumber, inCombined?.changeNumber);
      t.end();
    });
  }

  await t.test('a record can be selected from directly', (t) => {
    const sel = selectRanges(read('ServiceBus.UKWest.json'), {
      regions: ['ukwest'],
      tags: ['ServiceBus'],
    });
    t.same(sel.prefixes, [
      '20.58.70.0/25',
      '51.140.210.64/28',
      '172.186.0.0/25',
      '2603:1020:605::220/123',
      '2603:1020:605:1::500/120',
      '2603:1020:605:402::170/125',
    ]);
    t.equal(sel.changeNumber, 7);
    t.end();
  });
});
