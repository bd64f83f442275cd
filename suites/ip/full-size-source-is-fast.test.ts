// IP-020: the real file's size. In: a ServiceTags file generated here with the real one's
// shape (about 3,000 tags, about 4 MB, IPv4 and IPv6, AzureCloud and ServiceBus tags for
// the UK regions). Out: parsing, selecting and aggregating it take well under two
// seconds, and the UK selection still finds exactly the tags it should.
import { parseSource, selectRanges } from '../../relay/src/egress';
import { kase } from '../lib/case';

/** mulberry32: a small deterministic generator, so the file is the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 2 ** 32;
  };
}

const REGIONS = [
  'uksouth',
  'ukwest',
  'westeurope',
  'northeurope',
  'eastus',
  'westus2',
  'australiaeast',
  'japaneast',
];
const FAMILIES = [
  'AzureCloud',
  'ServiceBus',
  'Storage',
  'Sql',
  'AppService',
  'AzureMonitor',
  'EventHub',
  'KeyVault',
];

function fullSizeFile(): { text: string; tags: number; prefixes: number } {
  const next = random(0x5eed);
  const values: unknown[] = [];
  let prefixes = 0;
  for (let i = 0; values.length < 3000; i++) {
    const region = REGIONS[i % REGIONS.length] ?? 'uksouth';
    const family = `${FAMILIES[Math.floor(i / REGIONS.length) % FAMILIES.length] ?? 'X'}${i < 64 ? '' : Math.floor(i / 64)}`;
    const count = family === 'AzureCloud' ? 600 : 20 + Math.floor(next() * 50);
    const list: string[] = [];
    for (let j = 0; j < count; j++) {
      if (next() < 0.3) {
        const g = () => Math.floor(next() * 0x10000).toString(16);
        list.push(`2603:${g()}:${g()}:${g()}::/64`);
      } else {
        const a = Math.floor(next() * 0x1000000);
        list.push(`${a >>> 16}.${(a >>> 8) & 255}.${a & 255}.0/24`);
      }
    }
    prefixes += list.length;
    const name = `${family}.${region}`;
    values.push({
      name,
      id: name,
      properties: {
        changeNumber: i % 100,
        region,
        regionId: i % REGIONS.length,
        platform: 'Azure',
        systemService: family === 'AzureCloud' ? '' : `Azure${family}`,
        addressPrefixes: list,
        networkFeatures: ['API', 'NSG', 'UDR', 'FW'],
      },
    });
  }
  return {
    text: JSON.stringify({ changeNumber: 400, cloud: 'Public', values }, null, 2),
    tags: values.length,
    prefixes,
  };
}

void kase('IP-020', async (t) => {
  const file = fullSizeFile();

  await t.test('the generated file has the real one’s size and shape', (t) => {
    t.equal(file.tags, 3000);
    t.ok(
      file.text.length > 3.5e6,
      `${(file.text.length / 1e6).toFixed(1)} MB, ${file.prefixes} prefixes`,
    );
    t.end();
  });

  await t.test('parsing, selecting and aggregating take well under two seconds', (t) => {
    const start = performance.now();
    const source = parseSource(file.text);
    const parsed = performance.now();
    const sel = selectRanges(source, {
      regions: ['uksouth', 'ukwest'],
      tags: ['AzureCloud', 'ServiceBus'],
      aggregate: true,
    });
    const done = performance.now();
    t.equal(source.groups.length, 3000);
    t.same(
      sel.bySource.map((b) => b.tag),
      ['AzureCloud.uksouth', 'AzureCloud.ukwest', 'ServiceBus.uksouth', 'ServiceBus.ukwest'],
    );
    t.ok(sel.counts.output > 0 && sel.counts.output <= sel.counts.distinct);
    const total = done - start;
    t.ok(
      total < 2000,
      `parse ${(parsed - start).toFixed(0)} ms, select and aggregate ${(done - parsed).toFixed(0)} ms`,
    );
    t.end();
  });
});
