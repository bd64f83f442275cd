// IP-016: canonical CIDR only. In: the real excerpt with one prefix altered, records and
// XML with bad subnets. Out: IP_E_CIDR naming the value and where it is (JSON path, or XML
// line/column and path); a host-bits error also names the network that was meant.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLegacyXml, parseServiceTagsJson } from '../../relay/src/egress';
import { kase } from '../lib/case';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'service-tags');
const EXCERPT = readFileSync(join(FIXTURES, 'ServiceTags_Public_excerpt_uk.json'), 'utf8');
const CLEAN_XML = readFileSync(join(FIXTURES, 'PublicIPs_uk_2019-09.xml'), 'utf8');

void kase('IP-016', async (t) => {
  await t.test('a ServiceBus prefix with host bits set is refused with its path and value', (t) => {
    const bad = EXCERPT.replace('"51.140.146.48/29"', '"51.140.146.50/29"');
    t.throws(() => parseServiceTagsJson(bad), {
      name: 'RangesError',
      code: 'IP_E_CIDR',
      details: { path: 'values[2].properties.addressPrefixes[5]', value: '51.140.146.50/29' },
      message: /host bits are not zero \(the 29-bit network is 51\.140\.146\.48\/29\)/,
    });
    t.end();
  });

  await t.test('an IPv6 prefix with host bits set is refused the same way', (t) => {
    const bad = EXCERPT.replace('"2603:1020:705::700/120"', '"2603:1020:705::701/120"');
    t.throws(() => parseServiceTagsJson(bad), {
      code: 'IP_E_CIDR',
      details: { path: 'values[2].properties.addressPrefixes[9]', value: '2603:1020:705::701/120' },
    });
    t.end();
  });

  await t.test('malformed prefixes of every kind are refused', (t) => {
    const bad = [
      '51.140.146.48',
      '51.140.146.48/33',
      '51.140.146.48/029',
      '051.140.146.48/29',
      '51.140.146.48 /29',
      '2603::/129',
      '2603:1020:705::700/-1',
      'uksouth',
      '',
    ];
    for (const value of bad) {
      const text = EXCERPT.replace('"51.140.146.48/29"', JSON.stringify(value));
      t.throws(
        () => parseServiceTagsJson(text),
        { code: 'IP_E_CIDR', details: { value } },
        JSON.stringify(value),
      );
    }
    t.end();
  });

  await t.test('in the legacy XML the refusal gives line, column and path of the Subnet', (t) => {
    const bad = CLEAN_XML.replace('"20.39.160.0/21"', '"20.39.161.0/21"');
    t.throws(() => parseLegacyXml(bad), {
      code: 'IP_E_CIDR',
      details: {
        line: 61,
        column: 22,
        value: '20.39.161.0/21',
        path: '/AzurePublicIpAddresses/Region[@Name="ukwest"]/IpRange[1]/@Subnet',
      },
      message: /^line 61, column 22: Subnet "20\.39\.161\.0\/21" is not a canonical CIDR/,
    });
    t.end();
  });
});
