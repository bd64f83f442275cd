// Why an address is outside a selection (relay/src/egress/explain.ts), FAULT-003. In: the UK
// excerpt of ServiceTags_Public (change 367) with the ServiceBus tags of uksouth and ukwest
// selected, a synthetic source with global and overlapping tags, the legacy XML. Out: what was
// allowed; where the source publishes a refused address (regional tags first, most specific
// prefix first) with the tag family to add; or that it publishes it nowhere (a stale list).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { formatAddress } from '../../src/egress/cidr';
import { explainOutside, formatOutside, outsideExplainer } from '../../src/egress/explain';
import { selectRanges } from '../../src/egress/ranges';
import { parseSource } from '../../src/egress/service-tags';

const FIXTURES = join(__dirname, '..', '..', '..', 'fixtures', 'service-tags');
const UK = readFileSync(join(FIXTURES, 'ServiceTags_Public_excerpt_uk.json'), 'utf8');

void t.test('an address the source publishes under another tag', (t) => {
  const source = parseSource(UK);
  const sel = selectRanges(source, { regions: ['uksouth', 'ukwest'], tags: ['ServiceBus'] });
  const e = explainOutside(source, sel.set, '4.158.0.10');
  t.equal(e.allowed, 'ServiceBus.UKSouth, ServiceBus.UKWest of ServiceTags change 367');
  t.same(e.publishedIn, [{ tag: 'AzureCloud.uksouth', region: 'uksouth', prefix: '4.158.0.0/15' }]);
  t.equal(
    formatOutside(e),
    '(ServiceBus.UKSouth, ServiceBus.UKWest of ServiceTags change 367); that source publishes it in AzureCloud.uksouth 4.158.0.0/15: add that tag (family AzureCloud) to egress.ranges.serviceTags.tags and the firewall list, or ask why the endpoint moved there',
  );
  t.end();
});

void t.test('an address the source does not publish at all', (t) => {
  const source = parseSource(UK);
  const sel = selectRanges(source, { regions: ['uksouth'], tags: ['ServiceBus'] });
  const e = explainOutside(source, sel.set, '203.0.113.7');
  t.same(e.publishedIn, []);
  t.equal(e.allowed, 'ServiceBus.UKSouth of ServiceTags change 367');
  t.match(
    outsideExplainer(source, sel.set)('203.0.113.7'),
    /^\(ServiceBus\.UKSouth of ServiceTags change 367\); that source does not publish it at all: the list may be stale/,
  );
  t.end();
});

void t.test('regional tags before global ones, the most specific prefix first', (t) => {
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
      networkFeatures: null,
    },
  });
  const source = parseSource(
    JSON.stringify({
      changeNumber: 12,
      cloud: 'Public',
      values: [
        tag('AzureCloud', '', ['10.0.0.0/8']),
        tag('AzureCloud.uksouth', 'uksouth', ['10.1.0.0/16']),
        tag('Storage.UKSouth', 'uksouth', ['10.1.2.0/24']),
        tag('ServiceBus.UKSouth', 'uksouth', ['10.9.0.0/16']),
        tag('EventHub.UKSouth', 'uksouth', ['10.1.2.0/25']),
        tag('Sql.UKSouth', 'uksouth', ['10.1.2.0/26']),
      ],
    }),
  );
  const sel = selectRanges(source, { regions: ['uksouth'], tags: ['ServiceBus'] });
  const e = explainOutside(source, sel.set, '10.1.2.3');
  t.same(
    e.publishedIn.map((p) => `${p.tag ?? ''} ${p.prefix}`),
    [
      'Sql.UKSouth 10.1.2.0/26',
      'EventHub.UKSouth 10.1.2.0/25',
      'Storage.UKSouth 10.1.2.0/24',
      'AzureCloud.uksouth 10.1.0.0/16',
      'AzureCloud 10.0.0.0/8',
    ],
  );
  t.match(
    formatOutside(e),
    /publishes it in Sql\.UKSouth 10\.1\.2\.0\/26, EventHub\.UKSouth 10\.1\.2\.0\/25, Storage\.UKSouth 10\.1\.2\.0\/24, AzureCloud\.uksouth 10\.1\.0\.0\/16 and 1 more: add that tag \(family Sql\)/,
  );
  t.end();
});

void t.test('the legacy XML names regions', (t) => {
  const source = parseSource(readFileSync(join(FIXTURES, 'PublicIPs_uk_2019-09.xml'), 'utf8'));
  const sel = selectRanges(source, { regions: ['ukwest'] });
  const south = source.groups.find((g) => g.region.toLowerCase() === 'uksouth');
  const inSouth = south?.prefixes[0];
  if (inSouth === undefined) throw new Error('the fixture has a uksouth region');
  const ip = formatAddress({ family: inSouth.family, value: inSouth.network });
  const e = explainOutside(source, sel.set, ip);
  t.match(e.allowed, /^region ukwest of the legacy AzurePublicIpAddresses list$/i);
  t.equal(e.publishedIn[0]?.tag, undefined);
  t.match(
    formatOutside(e),
    /that source publishes it in region uksouth .*: add region uksouth to egress\.ranges\.serviceTags\.regions/i,
  );
  t.end();
});
