// IP-006, IP-007 and IP-008: selection. In: the combined excerpt and the legacy XML. Out:
// regions (uksouth, ukwest, any case) select exactly their ranges in both formats; the
// family ServiceBus selects ServiceBus.UKSouth/UKWest (tag spelt UKSouth, region uksouth)
// and AzureCloud selects AzureCloud.<region>; the legacy XML refuses ServiceBus; and every
// Service Bus prefix lies inside the AzureCloud ranges of its region.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  formatCidr,
  parseSource,
  selectFromSource,
  selectRanges,
  cidrCovers,
  formatAddress,
  containingEntries,
  cidrRange,
} from '../../relay/src/egress';
import { kase } from '../lib/case';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'service-tags');
const read = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const JSON_SOURCE = parseSource(read('ServiceTags_Public_excerpt_uk.json'));
const XML_SOURCE = parseSource(read('PublicIPs_uk_2019-09.xml'));

void kase('IP-006', async (t) => {
  await t.test('one region selects only that region’s AzureCloud tag from the JSON', (t) => {
    const south = selectFromSource(JSON_SOURCE, { regions: ['uksouth'] });
    t.ok(south.entries.every((e) => e.region === 'uksouth' && e.tag === 'AzureCloud.uksouth'));
    t.equal(south.entries.length, 230);
    const west = selectFromSource(JSON_SOURCE, { regions: ['ukwest'] });
    t.equal(west.entries.length, 141);
    t.end();
  });

  await t.test('uksouth and ukwest together select both regions and nothing else', (t) => {
    const both = selectFromSource(JSON_SOURCE, { regions: ['uksouth', 'ukwest'] });
    t.equal(both.entries.length, 230 + 141);
    t.same([...new Set(both.entries.map((e) => e.region))], ['uksouth', 'ukwest']);
    t.end();
  });

  await t.test('region names match whatever their case, in both formats', (t) => {
    for (const source of [JSON_SOURCE, XML_SOURCE]) {
      const lower = selectFromSource(source, { regions: ['uksouth', 'ukwest'] });
      const mixed = selectFromSource(source, { regions: ['UKSouth', ' UKWEST '] });
      t.same(mixed.entries, lower.entries, source.layout);
    }
    t.end();
  });

  await t.test('the legacy XML selects a Region element by its Name', (t) => {
    const west = selectFromSource(XML_SOURCE, { regions: ['ukwest'] });
    t.equal(west.entries.length, 36);
    t.equal(west.entries[0]?.prefix, '20.39.160.0/21');
    t.ok(west.entries.every((e) => e.tag === undefined && e.region === 'ukwest'));
    t.end();
  });

  await t.test('the selection lists each distinct prefix once, IPv4 first then numeric', (t) => {
    const sel = selectRanges(read('ServiceTags_Public_excerpt_uk.json'), {
      regions: ['ukwest', 'uksouth'],
    });
    t.equal(sel.prefixes.length, 371);
    const v4 = sel.prefixes.filter((p) => !p.includes(':')).length;
    t.ok(sel.prefixes.slice(0, v4).every((p) => !p.includes(':')));
    t.equal(sel.counts.ipv6, 78);
    const parsed = sel.set.entries.map((e) => formatCidr(e.cidr));
    t.same(new Set(parsed), new Set(sel.prefixes));
    t.end();
  });
});

const EXCERPT = parseSource(read('ServiceTags_Public_excerpt_uk.json'));
const LEGACY = parseSource(read('PublicIPs_uk_2019-09.xml'));
const UK = ['uksouth', 'ukwest'];

const tagsOf = (tags: string[]): string[] => [
  ...new Set(selectFromSource(EXCERPT, { regions: UK, tags }).entries.map((e) => e.tag ?? '')),
];

void kase('IP-007', async (t) => {
  await t.test('ServiceBus selects the ServiceBus.<Region> tags of the requested regions', (t) => {
    t.same(tagsOf(['ServiceBus']), ['ServiceBus.UKSouth', 'ServiceBus.UKWest']);
    const south = selectFromSource(EXCERPT, { regions: ['uksouth'], tags: ['ServiceBus'] });
    t.same([...new Set(south.entries.map((e) => e.tag))], ['ServiceBus.UKSouth']);
    t.equal(south.entries.length, 14);
    t.end();
  });

  await t.test('AzureCloud selects the AzureCloud.<region> tags', (t) => {
    t.same(tagsOf(['AzureCloud']), ['AzureCloud.uksouth', 'AzureCloud.ukwest']);
    t.end();
  });

  await t.test('both families together select all four tags, families matched in any case', (t) => {
    t.same(tagsOf(['servicebus', 'AZURECLOUD']), [
      'AzureCloud.uksouth',
      'AzureCloud.ukwest',
      'ServiceBus.UKSouth',
      'ServiceBus.UKWest',
    ]);
    t.end();
  });

  await t.test('ServiceBus is a small part of AzureCloud: 20 of 391 prefixes', (t) => {
    const sb = selectRanges(EXCERPT, { regions: UK, tags: ['ServiceBus'] });
    const all = selectRanges(EXCERPT, { regions: UK, tags: ['AzureCloud', 'ServiceBus'] });
    t.equal(sb.counts.selected, 20);
    t.equal(all.counts.selected, 391);
    t.end();
  });

  await t.test('the legacy XML counts as AzureCloud and refuses ServiceBus with a reason', (t) => {
    t.equal(selectFromSource(LEGACY, { regions: UK, tags: ['AzureCloud'] }).entries.length, 91);
    t.throws(() => selectFromSource(LEGACY, { regions: UK, tags: ['ServiceBus'] }), {
      name: 'RangesError',
      code: 'IP_E_TAG',
      message:
        /legacy AzurePublicIpAddresses XML has no service tags.*"ServiceBus" cannot be selected.*ServiceTags_Public/,
    });
    t.end();
  });
});

const SOURCE = parseSource(
  readFileSync(join(FIXTURES, 'ServiceTags_Public_excerpt_uk.json'), 'utf8'),
);

void kase('IP-008', async (t) => {
  for (const region of ['uksouth', 'ukwest']) {
    await t.test(`every ServiceBus prefix of ${region} lies inside AzureCloud.${region}`, (t) => {
      const sb = selectFromSource(SOURCE, { regions: [region], tags: ['ServiceBus'] });
      const cloud = selectFromSource(SOURCE, { regions: [region], tags: ['AzureCloud'] });
      for (const e of sb.entries) {
        const covering = cloud.entries.filter((c) => cidrCovers(c.cidr, e.cidr));
        t.ok(
          covering.length > 0,
          `${e.prefix} (${e.tag ?? ''}) is inside ${covering.map((c) => c.prefix).join(', ')}`,
        );
        const { first, last } = cidrRange(e.cidr);
        for (const v of [first, last]) {
          const ip = formatAddress({ family: e.cidr.family, value: v });
          t.ok(containingEntries(cloud, ip).length > 0, `${ip} is allowed by AzureCloud.${region}`);
        }
      }
      t.end();
    });
  }

  await t.test('the Service Bus address of the guide’s example is in both', (t) => {
    const sb = selectFromSource(SOURCE, { regions: ['uksouth'], tags: ['ServiceBus'] });
    const cloud = selectFromSource(SOURCE, { regions: ['uksouth'], tags: ['AzureCloud'] });
    t.same(
      containingEntries(sb, '51.140.146.50').map((e) => e.prefix),
      ['51.140.146.48/29'],
    );
    t.same(
      containingEntries(cloud, '51.140.146.50').map((e) => e.prefix),
      ['51.140.128.0/18'],
    );
    t.end();
  });
});
