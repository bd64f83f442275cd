// IP-019: strict by default. In: the real sources with an unknown JSON field, XML element
// or XML attribute added. Out: IP_E_SCHEMA naming it; with strict: false the same input
// parses to the same ranges and each skip is listed as a warning.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSource } from '../../relay/src/egress';
import { kase } from '../lib/case';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'service-tags');
const EXCERPT = readFileSync(join(FIXTURES, 'ServiceTags_Public_excerpt_uk.json'), 'utf8');
const CLEAN_XML = readFileSync(join(FIXTURES, 'PublicIPs_uk_2019-09.xml'), 'utf8');

const SCHEMA = { name: 'RangesError', code: 'IP_E_SCHEMA' };

void kase('IP-019', async (t) => {
  await t.test('an unknown JSON field is refused with its path, and skipped when lenient', (t) => {
    const text = EXCERPT.replace('"cloud": "Public",', '"cloud": "Public", "extra": true,');
    t.not(text, EXCERPT);
    t.throws(() => parseSource(text), {
      ...SCHEMA,
      message: /unexpected field\(s\) "extra"/,
      details: { path: '(top level)' },
    });
    t.same(parseSource(text, { strict: false }).groups, parseSource(EXCERPT).groups);
    t.end();
  });

  await t.test(
    'an unknown XML element is refused with line and path, and skipped when lenient',
    (t) => {
      const text = CLEAN_XML.replace(
        '<Region Name="ukwest">',
        '<Comment>not a range</Comment>\n  <Region Name="ukwest">',
      );
      t.throws(() => parseSource(text), {
        ...SCHEMA,
        message: /^line 60, column 3: unexpected element <Comment>/,
        details: { path: '/AzurePublicIpAddresses/Comment' },
      });
      const lenient = parseSource(text, { strict: false });
      t.same(lenient.groups, parseSource(CLEAN_XML).groups);
      t.match(lenient.warnings, [/line 60: unexpected element <Comment> \(skipped\)/]);
      t.end();
    },
  );

  await t.test('an unknown XML attribute is refused, and skipped when lenient', (t) => {
    const text = CLEAN_XML.replace(
      '<IpRange Subnet="13.104.145.160/27" />',
      '<IpRange Subnet="13.104.145.160/27" Port="443" />',
    );
    t.throws(() => parseSource(text), {
      ...SCHEMA,
      message: /unexpected attribute Port on <IpRange>/,
    });
    t.same(parseSource(text, { strict: false }).groups, parseSource(CLEAN_XML).groups);
    t.end();
  });

  await t.test('the namespace declarations of the real file are not unknown attributes', (t) => {
    t.match(CLEAN_XML, /xmlns:xsd=.*xmlns:xsi=/);
    t.same(parseSource(CLEAN_XML).warnings, []);
    t.end();
  });
});
