// IP-017 and IP-018: what a selection says. In: the real sources. Out: each selected prefix
// names its tag and region and the selection carries the source's changeNumber; a misspelt
// region, a family the source lacks and a selection holding nothing are IP_E_REGION,
// IP_E_TAG and IP_E_EMPTY, never an empty allow-list.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  formatSelection,
  selectRanges,
  parseSource,
  selectFromSource,
} from '../../relay/src/egress';
import { kase } from '../lib/case';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'service-tags');
const read = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

void kase('IP-017', async (t) => {
  const sel = selectRanges(read('ServiceTags_Public_excerpt_uk.json'), {
    regions: ['uksouth', 'ukwest'],
    tags: ['ServiceBus'],
    contains: '51.140.146.50',
  });

  await t.test('the selection carries the file changeNumber and the cloud', (t) => {
    t.equal(sel.changeNumber, 367);
    t.equal(sel.cloud, 'Public');
    t.equal(sel.set.changeNumber, 367);
    t.end();
  });

  await t.test('every selected prefix names the tag and region it came from', (t) => {
    t.same(
      sel.bySource.map((b) => [b.tag, b.region, b.prefixes.length]),
      [
        ['ServiceBus.UKSouth', 'uksouth', 14],
        ['ServiceBus.UKWest', 'ukwest', 6],
      ],
    );
    const e = sel.set.entries.find((x) => x.prefix === '172.186.0.0/25');
    t.same([e?.tag, e?.region], ['ServiceBus.UKWest', 'ukwest']);
    t.end();
  });

  await t.test('an address check names the prefix and tag that allow it', (t) => {
    t.same(sel.containment?.matches, [
      { prefix: '51.140.146.48/29', tag: 'ServiceBus.UKSouth', region: 'uksouth' },
    ]);
    t.end();
  });

  await t.test('the JSON rendering keeps all of it', (t) => {
    const json = JSON.parse(formatSelection(sel, 'json')) as {
      changeNumber: number;
      bySource: unknown[];
    };
    t.equal(json.changeNumber, 367);
    t.equal(json.bySource.length, 2);
    t.end();
  });

  await t.test('a single record reports its own changeNumber; the legacy XML reports none', (t) => {
    t.equal(
      selectRanges(read('ServiceBus.UKSouth.json'), { regions: ['uksouth'], tags: ['ServiceBus'] })
        .changeNumber,
      9,
    );
    const legacy = selectRanges(read('PublicIPs_uk_2019-09.xml'), { regions: ['uksouth'] });
    t.equal(legacy.changeNumber, undefined);
    t.same(
      legacy.bySource.map((b) => [b.tag, b.region]),
      [[undefined, 'uksouth']],
    );
    t.end();
  });
});

const EXCERPT = parseSource(read('ServiceTags_Public_excerpt_uk.json'));
const LEGACY = parseSource(read('PublicIPs_uk_2019-09.xml'));
const RECORD = parseSource(read('ServiceBus.UKSouth.json'));

void kase('IP-018', async (t) => {
  await t.test('a misspelt region is refused and the known regions are listed', (t) => {
    for (const source of [EXCERPT, LEGACY]) {
      t.throws(() => selectFromSource(source, { regions: ['uksouth', 'uk-west'] }), {
        name: 'RangesError',
        code: 'IP_E_REGION',
        message: /region "uk-west" does not appear in the source \(it names: uksouth, ukwest\)/,
        details: { region: 'uk-west' },
      });
    }
    t.end();
  });

  await t.test('a region outside a single record is refused', (t) => {
    t.throws(
      () => selectFromSource(RECORD, { regions: ['uksouth', 'ukwest'], tags: ['ServiceBus'] }),
      {
        code: 'IP_E_REGION',
        details: { region: 'ukwest' },
      },
    );
    t.end();
  });

  await t.test('a family the source lacks is refused and the tags it has are listed', (t) => {
    t.throws(() => selectFromSource(EXCERPT, { regions: ['uksouth'], tags: ['Storage'] }), {
      code: 'IP_E_TAG',
      message:
        /no tag of the family "Storage" in the source \(it holds: AzureCloud\.uksouth, AzureCloud\.ukwest, ServiceBus\.UKSouth, ServiceBus\.UKWest\)/,
    });
    t.throws(() => selectFromSource(RECORD, { regions: ['uksouth'] }), {
      code: 'IP_E_TAG',
      message: /"AzureCloud"/,
    });
    t.end();
  });

  await t.test('a selection that holds no prefix is refused, never returned empty', (t) => {
    const empty = EXCERPT.groups.map((g) => ({
      ...g,
      prefixes: g.tag === 'ServiceBus.UKWest' ? [] : g.prefixes,
    }));
    t.throws(
      () =>
        selectFromSource(
          { ...EXCERPT, groups: empty },
          { regions: ['ukwest'], tags: ['ServiceBus'] },
        ),
      {
        code: 'IP_E_EMPTY',
        message: /regions ukwest; tags ServiceBus/,
      },
    );
    t.throws(() => selectFromSource({ ...EXCERPT, groups: [] }, { regions: ['uksouth'] }), {
      code: 'IP_E_REGION',
    });
    t.end();
  });
});
