// Unit tests of the ServiceTags JSON parser (relay/src/egress/service-tags.ts): shapes
// accepted, strict and lenient validation, paths and values in every refusal, and the
// format detection of parseSource().
import t from 'tap';
import { formatCidr } from '../../src/egress/cidr';
import { formatJsonPath, parseServiceTagsJson, parseSource } from '../../src/egress/service-tags';

const props = (
  prefixes: unknown[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> => ({
  changeNumber: 3,
  region: 'uksouth',
  regionId: 27,
  platform: 'Azure',
  systemService: 'AzureServiceBus',
  addressPrefixes: prefixes,
  networkFeatures: ['API', 'NSG'],
  ...extra,
});
const tag = (name: string, prefixes: unknown[], extra: Record<string, unknown> = {}) => ({
  name,
  id: name,
  properties: props(prefixes, extra),
});
const file = (values: unknown[], extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ changeNumber: 367, cloud: 'Public', values, ...extra });

void t.test(
  'a ServiceTags file gives one group per tag with family, region and changeNumber',
  (t) => {
    const s = parseServiceTagsJson(
      file([
        tag('ServiceBus.UKSouth', ['10.0.0.0/8', '2603::/16']),
        tag('AzureCloud', [], { region: '' }),
      ]),
    );
    t.equal(s.layout, 'service-tags');
    t.equal(s.changeNumber, 367);
    t.equal(s.cloud, 'Public');
    t.same(
      s.groups.map((g) => [
        g.tag,
        g.family,
        g.region,
        g.changeNumber,
        g.systemService,
        g.prefixes.map(formatCidr),
      ]),
      [
        [
          'ServiceBus.UKSouth',
          'ServiceBus',
          'uksouth',
          3,
          'AzureServiceBus',
          ['10.0.0.0/8', '2603::/16'],
        ],
        ['AzureCloud', 'AzureCloud', '', 3, 'AzureServiceBus', []],
      ],
    );
    t.end();
  },
);

void t.test('networkFeatures may be absent or null, as in older files', (t) => {
  const a = tag('X.uksouth', []);
  const b = tag('Y.uksouth', [], { networkFeatures: null });
  delete a.properties.networkFeatures;
  t.equal(parseServiceTagsJson(file([a, b])).groups.length, 2);
  t.end();
});

void t.test('a single tag record takes its changeNumber from its properties', (t) => {
  const s = parseServiceTagsJson(JSON.stringify(tag('ServiceBus.UKWest', ['20.58.70.0/25'])));
  t.equal(s.layout, 'tag-record');
  t.equal(s.changeNumber, 3);
  t.equal(s.cloud, undefined);
  t.end();
});

void t.test('a bad prefix is reported with its JSON path and value', (t) => {
  t.throws(
    () =>
      parseServiceTagsJson(
        file([tag('A.b', ['10.0.0.0/8']), tag('C.d', ['1.0.0.0/8', '10.1.2.3/16'])]),
      ),
    {
      code: 'IP_E_CIDR',
      details: { path: 'values[1].properties.addressPrefixes[1]', value: '10.1.2.3/16' },
      message:
        /^values\[1\]\.properties\.addressPrefixes\[1\]: "10\.1\.2\.3\/16" is not a canonical CIDR/,
    },
  );
  t.throws(() => parseServiceTagsJson(JSON.stringify(tag('A.b', ['::1/129']))), {
    code: 'IP_E_CIDR',
    details: { path: 'properties.addressPrefixes[0]' },
  });
  t.end();
});

void t.test('a field of the wrong type is reported with its path and the value found', (t) => {
  t.throws(() => parseServiceTagsJson(file([tag('A.b', [42])])), {
    code: 'IP_E_SCHEMA',
    details: { path: 'values[0].properties.addressPrefixes[0]', value: '42' },
  });
  t.throws(() => parseServiceTagsJson(file([], { changeNumber: -1 })), {
    code: 'IP_E_SCHEMA',
    details: { path: 'changeNumber' },
  });
  t.throws(() => parseServiceTagsJson(file([tag('', [])])), {
    code: 'IP_E_SCHEMA',
    details: { path: 'values[0].name' },
  });
  t.end();
});

void t.test(
  'strict mode refuses unknown fields and duplicate tags; lenient mode keeps going',
  (t) => {
    const extra = file([tag('A.b', [], { newField: 1 })]);
    t.throws(() => parseServiceTagsJson(extra), {
      code: 'IP_E_SCHEMA',
      message: /unexpected field\(s\) "newField"/,
      details: { path: 'values[0].properties' },
    });
    t.equal(parseServiceTagsJson(extra, { strict: false }).groups.length, 1);
    const dup = file([tag('A.b', []), tag('A.b', [])]);
    t.throws(() => parseServiceTagsJson(dup), { code: 'IP_E_SCHEMA', message: /appears twice/ });
    const lenient = parseServiceTagsJson(dup, { strict: false });
    t.equal(lenient.groups.length, 2);
    t.match(lenient.warnings[0], /appears twice/);
    t.end();
  },
);

void t.test('malformed JSON is IP_E_JSON, with a position when the engine gives one', (t) => {
  t.throws(() => parseServiceTagsJson('{"a":1'), { code: 'IP_E_JSON' });
  t.throws(() => parseServiceTagsJson('{\n  "a": 1 "b"\n}'), {
    code: 'IP_E_JSON',
    details: { line: 2 },
  });
  t.end();
});

void t.test('JSON that is not an object of either shape is IP_E_SCHEMA', (t) => {
  for (const s of ['[]', 'null', '"x"', '{}', '{"other":1}']) {
    t.throws(() => parseServiceTagsJson(s), { code: 'IP_E_SCHEMA' }, s);
  }
  t.end();
});

void t.test('JSON paths are written the way a reader looks them up', (t) => {
  t.equal(
    formatJsonPath(['values', 3, 'properties', 'addressPrefixes', 7]),
    'values[3].properties.addressPrefixes[7]',
  );
  t.equal(formatJsonPath([]), '(top level)');
  t.equal(formatJsonPath(['a b']), '["a b"]');
  t.end();
});

void t.test('parseSource detects JSON and XML, and can be told the format', (t) => {
  t.equal(parseSource(`  \n${file([])}`).format, 'json');
  t.equal(parseSource('\ufeff<AzurePublicIpAddresses/>').format, 'xml');
  t.throws(() => parseSource('<AzurePublicIpAddresses/>', { format: 'json' }), {
    code: 'IP_E_JSON',
  });
  t.throws(() => parseSource('   '), { code: 'IP_E_FORMAT', message: /empty/ });
  t.throws(() => parseSource('<!DOCTYPE html><html></html>'), {
    code: 'IP_E_FORMAT',
    message: /HTML page/,
  });
  t.throws(() => parseSource('10.0.0.0/8\n'), {
    code: 'IP_E_FORMAT',
    message: /starts with "1" \(U\+0031\)/,
  });
  t.end();
});
