// Unit tests of the selection API (relay/src/egress/ranges.ts): option checking, global
// vs regional tags, missing family/region pairs, the CLI-facing selectRanges() result and
// its list/JSON rendering.
import t from 'tap';
import { parseCidr } from '../../src/egress/cidr';
import {
  aggregatePrefixes,
  checkAddress,
  containingEntries,
  contains,
  formatContainment,
  formatSelection,
  rangeSetOf,
  selectFromSource,
  selectRanges,
  selectWithReport,
  selectionToJson,
} from '../../src/egress/ranges';
import { parseServiceTagsJson } from '../../src/egress/service-tags';

const tag = (name: string, region: string, prefixes: string[]) => ({
  name,
  id: name,
  properties: {
    changeNumber: 1,
    region,
    regionId: 1,
    platform: 'Azure',
    systemService: '',
    addressPrefixes: prefixes,
    networkFeatures: ['API'],
  },
});
const SOURCE = JSON.stringify({
  changeNumber: 99,
  cloud: 'Public',
  values: [
    tag('AzureCloud', '', ['1.0.0.0/8']),
    tag('AzureCloud.uksouth', 'uksouth', ['10.0.0.0/16', '10.1.0.0/16', '2603:1020:705::/48']),
    tag('AzureCloud.ukwest', 'ukwest', ['10.2.0.0/16']),
    tag('ServiceBus', '', ['2.0.0.0/8']),
    tag('ServiceBus.UKSouth', 'uksouth', ['10.0.1.0/24', '10.0.0.0/24', '2603:1020:705::700/120']),
    tag('Sql.UKWest', 'ukwest', ['10.2.3.0/24']),
    tag('Empty.uksouth', 'uksouth', []),
  ],
});
const source = parseServiceTagsJson(SOURCE);

void t.test(
  'regions and families match case-insensitively and global tags are never selected',
  (t) => {
    const set = selectFromSource(source, { regions: ['UKSOUTH'], tags: ['servicebus'] });
    t.same(
      set.entries.map((e) => [e.prefix, e.tag, e.region]),
      [
        ['10.0.1.0/24', 'ServiceBus.UKSouth', 'uksouth'],
        ['10.0.0.0/24', 'ServiceBus.UKSouth', 'uksouth'],
        ['2603:1020:705::700/120', 'ServiceBus.UKSouth', 'uksouth'],
      ],
    );
    t.equal(set.changeNumber, 99);
    t.notOk(
      contains(set, '2.0.0.1'),
      'the global ServiceBus tag is not part of a regional selection',
    );
    t.end();
  },
);

void t.test('the default family is AzureCloud', (t) => {
  const set = selectFromSource(source, { regions: ['ukwest'] });
  t.same(
    set.entries.map((e) => e.tag),
    ['AzureCloud.ukwest'],
  );
  t.end();
});

void t.test('pairs asked for but absent are reported, not silently dropped', (t) => {
  const { missing } = selectWithReport(source, {
    regions: ['uksouth', 'ukwest'],
    tags: ['ServiceBus', 'Sql'],
  });
  t.same(missing, [
    { tag: 'ServiceBus', region: 'ukwest' },
    { tag: 'Sql', region: 'uksouth' },
  ]);
  t.end();
});

void t.test('malformed options are IP_E_OPTION with a hint', (t) => {
  t.throws(() => selectFromSource(source, { regions: [] }), { code: 'IP_E_OPTION' });
  t.throws(() => selectFromSource(source, { regions: [' '] }), { code: 'IP_E_OPTION' });
  t.throws(() => selectFromSource(source, { regions: ['uksouth'], tags: [] }), {
    code: 'IP_E_OPTION',
  });
  t.throws(() => selectFromSource(source, { regions: ['uksouth'], tags: ['ServiceBus.UKSouth'] }), {
    code: 'IP_E_OPTION',
    message: /give the family \("ServiceBus"\)/,
  });
  t.throws(() => selectFromSource(source, { regions: undefined as unknown as string[] }), {
    code: 'IP_E_OPTION',
  });
  t.end();
});

void t.test('unknown regions and families and empty selections are typed errors', (t) => {
  t.throws(() => selectFromSource(source, { regions: ['uksouht'] }), {
    code: 'IP_E_REGION',
    message: /region "uksouht" does not appear in the source \(it names: uksouth, ukwest\)/,
  });
  t.throws(() => selectFromSource(source, { regions: ['uksouth'], tags: ['Storage'] }), {
    code: 'IP_E_TAG',
    details: { tag: 'Storage' },
  });
  t.throws(() => selectFromSource(source, { regions: ['uksouth'], tags: ['Empty'] }), {
    code: 'IP_E_EMPTY',
  });
  t.throws(() => selectFromSource(source, { regions: ['uksouth'], tags: ['Sql'] }), {
    code: 'IP_E_EMPTY',
  });
  t.end();
});

void t.test('selectRanges returns sorted distinct prefixes, or their aggregation', (t) => {
  const plain = selectRanges(SOURCE, { regions: ['uksouth'], tags: ['AzureCloud', 'ServiceBus'] });
  t.same(plain.prefixes, [
    '10.0.0.0/16',
    '10.0.0.0/24',
    '10.0.1.0/24',
    '10.1.0.0/16',
    '2603:1020:705::/48',
    '2603:1020:705::700/120',
  ]);
  t.equal(plain.aggregated, false);
  const agg = selectRanges(SOURCE, {
    regions: ['uksouth'],
    tags: ['AzureCloud', 'ServiceBus'],
    aggregate: true,
  });
  t.same(agg.prefixes, ['10.0.0.0/15', '2603:1020:705::/48']);
  t.same(agg.counts, { selected: 6, distinct: 6, output: 2, ipv4: 1, ipv6: 1 });
  t.same(
    agg.bySource.map((b) => [b.tag, b.prefixes.length]),
    [
      ['AzureCloud.uksouth', 3],
      ['ServiceBus.UKSouth', 3],
    ],
  );
  t.end();
});

void t.test('selectRanges checks one address and names every prefix that holds it', (t) => {
  const sel = selectRanges(SOURCE, {
    regions: ['uksouth'],
    tags: ['AzureCloud', 'ServiceBus'],
    contains: '::ffff:10.0.0.9',
  });
  t.same(sel.containment, {
    address: '::ffff:10.0.0.9',
    checked: '10.0.0.9',
    family: 4,
    contained: true,
    matches: [
      { prefix: '10.0.0.0/16', tag: 'AzureCloud.uksouth', region: 'uksouth' },
      { prefix: '10.0.0.0/24', tag: 'ServiceBus.UKSouth', region: 'uksouth' },
    ],
  });
  t.equal(
    formatContainment(sel.containment ?? checkAddress(sel.set, '0.0.0.0')),
    '::ffff:10.0.0.9 (checked as 10.0.0.9) is in 10.0.0.0/16 (AzureCloud.uksouth), 10.0.0.0/24 (ServiceBus.UKSouth)',
  );
  t.equal(
    formatContainment(checkAddress(sel.set, '10.9.0.0')),
    '10.9.0.0 is not in the selected ranges',
  );
  t.throws(() => selectRanges(SOURCE, { regions: ['uksouth'], contains: 'nope' }), {
    code: 'IP_E_ADDRESS',
  });
  t.end();
});

void t.test('the list format is one prefix a line and the JSON format leaves out the set', (t) => {
  const sel = selectRanges(SOURCE, { regions: ['ukwest'] });
  t.equal(formatSelection(sel, 'list'), '10.2.0.0/16\n');
  const json = JSON.parse(formatSelection(sel, 'json')) as Record<string, unknown>;
  t.equal(json.changeNumber, 99);
  t.same(json.prefixes, ['10.2.0.0/16']);
  t.notOk('set' in json);
  t.notOk('set' in selectionToJson(sel));
  t.end();
});

void t.test('hand-made sets and prefix lists work without a source', (t) => {
  const set = rangeSetOf([parseCidr('192.0.2.0/24')]);
  t.ok(contains(set, '192.0.2.1'));
  t.same(
    containingEntries(set, '192.0.2.1').map((e) => e.prefix),
    ['192.0.2.0/24'],
  );
  t.same(aggregatePrefixes(['192.0.2.0/25', '192.0.2.128/25']), ['192.0.2.0/24']);
  t.throws(() => aggregatePrefixes(['192.0.2.1/24']), { code: 'IP_E_CIDR' });
  t.end();
});
