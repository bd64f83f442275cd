// Fuzz targets for the Azure IP range parsers. In: nothing (the fixtures are read once at
// load time). Out: FuzzTargets for the ServiceTags JSON parser and the legacy XML parser,
// fed mostly hostile text: random strings, random edits of the real fixtures, look-alike
// characters, entity references and DOCTYPEs spliced into markup. Each run parses and,
// when that succeeds, selects and aggregates, so the deep paths are reached too.
// Also exported: the arbitraries, for the IP-015 conformance property.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  parseLegacyXml,
  parseServiceTagsJson,
  selectRanges,
  type ParsedSource,
} from '../../../relay/src/egress';
import type { FuzzTarget } from '../types';

const FIXTURES = join(__dirname, '..', '..', '..', 'fixtures', 'service-tags');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

export const CLEAN_XML = fixture('PublicIPs_uk_2019-09.xml');
export const COPIED_XML = fixture('PublicIPs_uk_2019-09.copied-from-guide.xml');
export const EXCERPT_JSON = fixture('ServiceTags_Public_excerpt_uk.json');
export const RECORD_JSON = fixture('ServiceBus.UKSouth.json');

/** Snippets that reach the interesting refusals when spliced into a source. */
const XML_SNIPPETS = [
  '<!DOCTYPE x [<!ENTITY a "b">]>',
  '<!ENTITY a "b">',
  '&lol;',
  '&amp;',
  '&#x41;',
  '&#0;',
  '\u00a0',
  '\u200b',
  '\u201c',
  '<![CDATA[x]]>',
  '<!-- c -->',
  '<?pi x?>',
  '<Region Name="x">',
  '</Region>',
  '<IpRange Subnet="10.0.0.0/8"/>',
  '<IpRange Subnet="10.0.0.1/8"/>',
  '<IpRange Subnet="::ffff:1.2.3.0/120"/>',
  '<Extra/>',
  ' Other="1"',
  '<',
  '>',
  '"',
  '\ufeff',
];

const JSON_SNIPPETS = [
  '"10.0.0.1/8"',
  '"::1/129"',
  '"1.2.3.4/33"',
  '"127.1/8"',
  '"fe80::%eth0/64"',
  'null',
  '[]',
  '{}',
  '"__proto__"',
  '1e309',
  '-1',
  '"x":1,',
  ',',
  '}',
  '"\\u0000"',
];

/** A random edit (insert, delete, replace) of `base`, with snippets biased to markup. */
function mutated(base: string, snippets: readonly string[]): fc.Arbitrary<string> {
  const edit = fc.record({
    at: fc.nat({ max: base.length }),
    cut: fc.nat({ max: 24 }),
    insert: fc.oneof(
      fc.constantFrom(...snippets),
      fc.string({ maxLength: 8, unit: 'binary' }),
      fc.constant(''),
    ),
  });
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let s = base;
    for (const e of edits) {
      const at = Math.min(e.at, s.length);
      s = s.slice(0, at) + e.insert + s.slice(at + e.cut);
    }
    return s;
  });
}

/** Mostly hostile XML-ish text, some valid. */
export const xmlInputs: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: mutated(CLEAN_XML, XML_SNIPPETS) },
  { weight: 2, arbitrary: mutated(COPIED_XML, XML_SNIPPETS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200, unit: 'binary' }) },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.constantFrom(...XML_SNIPPETS), { maxLength: 12 })
      .map((parts) => `<AzurePublicIpAddresses>${parts.join('')}</AzurePublicIpAddresses>`),
  },
  { weight: 1, arbitrary: fc.constantFrom(CLEAN_XML, COPIED_XML) },
);

/** Mostly hostile JSON-ish text, some valid. */
export const jsonInputs: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: mutated(EXCERPT_JSON, JSON_SNIPPETS) },
  { weight: 2, arbitrary: mutated(RECORD_JSON, JSON_SNIPPETS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200, unit: 'binary' }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  {
    weight: 2,
    arbitrary: fc
      .record({
        name: fc.oneof(fc.constant('ServiceBus.UKSouth'), fc.string({ maxLength: 20 })),
        id: fc.string({ maxLength: 20 }),
        properties: fc.record({
          changeNumber: fc.oneof(fc.nat(), fc.double()),
          region: fc.constantFrom('uksouth', 'ukwest', '', 'UKSouth'),
          regionId: fc.nat(),
          platform: fc.constant('Azure'),
          systemService: fc.string({ maxLength: 10 }),
          addressPrefixes: fc.array(
            fc.oneof(
              fc.constantFrom(...JSON_SNIPPETS.map((s) => s.replace(/"/g, ''))),
              fc.string(),
            ),
            { maxLength: 5 },
          ),
        }),
      })
      .map((r) => JSON.stringify(r)),
  },
  { weight: 1, arbitrary: fc.constantFrom(EXCERPT_JSON, RECORD_JSON) },
);

/** After a successful parse, exercise selection and aggregation too. */
function select(source: ParsedSource): unknown {
  const regions = [...new Set(source.groups.map((g) => g.region).filter((r) => r !== ''))];
  if (regions.length === 0) return source;
  const tags = [...new Set(source.groups.map((g) => g.family))].filter((f) =>
    /^[A-Za-z0-9]+$/.test(f),
  );
  return selectRanges(source, {
    regions,
    ...(tags.length > 0 ? { tags } : {}),
    aggregate: true,
    contains: '::ffff:51.140.146.50',
  });
}

export const rangesJsonTarget: FuzzTarget<string> = {
  name: 'IP ranges: ServiceTags JSON',
  arbitrary: jsonInputs,
  run: (input) => select(parseServiceTagsJson(input)),
};

export const rangesXmlTarget: FuzzTarget<string> = {
  name: 'IP ranges: legacy XML',
  arbitrary: xmlInputs,
  run: (input) => select(parseLegacyXml(input)),
};

export const rangesTolerantXmlTarget: FuzzTarget<string> = {
  name: 'IP ranges: legacy XML, tolerant of U+00A0',
  arbitrary: xmlInputs,
  run: (input) => select(parseLegacyXml(input, { tolerateNbsp: true, strict: false })),
};

export const RANGES_FUZZ_TARGETS: readonly FuzzTarget<string>[] = [
  rangesJsonTarget,
  rangesXmlTarget,
  rangesTolerantXmlTarget,
];
