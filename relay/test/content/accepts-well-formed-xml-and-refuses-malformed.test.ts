// Well-formed XML 1.0 with namespaces passes; everything else is refused with one typed error.
// In: a realistic council body, malformed bodies, processing instructions, misplaced XML
// declarations, over-long names in error positions. Out: a summary, or RELAY_E_CONTENT_XML with
// the rule; messages stay short and quote at most about 60 characters of the input.
import t from 'tap';
import {
  checkXml,
  createXmlCheck,
  isRelayContentError,
  type XmlSummary,
} from '../../src/work/content';
import { ruleOf } from './lib/chunks';

const APPLICATION = `<?xml version="1.0" encoding="UTF-8"?>
<!-- submitted by the digital service -->
<lic:Application xmlns:lic="urn:council:licensing:v1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ref="LIC-2024-00042">
  <lic:Applicant type="individual">
    <lic:Name>Ms A &amp; B O&apos;Brien</lic:Name>
    <lic:Note><![CDATA[Opening hours <09:00-23:00> & "late" licence]]></lic:Note>
    <lic:Amount currency="GBP">&#163;1,250.00</lic:Amount>
  </lic:Applicant>
  <lic:Premises xsi:nil="true"/>
</lic:Application>
`;

void t.test('a realistic licensing application passes and is summarised', (t) => {
  const summary: XmlSummary = checkXml(Buffer.from(APPLICATION), {
    expectedRoot: 'Application',
  });
  t.same(summary, {
    root: 'Application',
    namespace: 'urn:council:licensing:v1',
    elements: 6,
    maxDepth: 3,
    bytes: Buffer.byteLength(APPLICATION),
  });
  t.ok(Object.isFrozen(summary), 'the summary is frozen');
  t.end();
});

void t.test('bodies that are not well-formed are refused as malformed', (t) => {
  const bad: Record<string, string> = {
    'an unclosed root': '<a><b></b>',
    'a mismatched end tag': '<a><b></a></b>',
    'an undefined entity': '<a>&nbsp;</a>',
    'an unescaped ampersand': '<a>fish & chips</a>',
    'an unquoted attribute': '<a b=1/>',
    'a duplicate attribute': '<a b="1" b="2"/>',
    'an unbound prefix': '<x:a/>',
    'a NUL character': '<a>\u0000</a>',
    'a raw < in an attribute': '<a b="<"/>',
    'an XML declaration after whitespace': ' <?xml version="1.0"?><a/>',
    'an XML declaration inside the root': '<a><?xml version="1.0"?></a>',
    'a ]]> in text': '<a>]]></a>',
    'a truncated comment': '<a><!-- c </a>',
    'XML 1.1': '<?xml version="1.1"?><a/>',
  };
  for (const [name, body] of Object.entries(bad)) {
    t.equal(
      ruleOf(() => checkXml(Buffer.from(body))),
      'malformed',
      name,
    );
  }
  t.end();
});

void t.test('processing instructions other than the XML declaration are refused', (t) => {
  for (const body of [
    '<?xml-stylesheet type="text/xsl" href="evil.xsl"?><a/>',
    '<a><?php echo 1; ?></a>',
    '<a/><?trailer?>',
  ]) {
    t.equal(
      ruleOf(() => checkXml(Buffer.from(body))),
      'pi',
      body,
    );
  }
  t.end();
});

void t.test('a refusal is one typed error with a short message and no long echo of input', (t) => {
  const name = `n${'x'.repeat(200)}`;
  const check = createXmlCheck();
  let caught: unknown;
  try {
    check.push(Buffer.from(`<${name}></${name}y>`));
    check.end();
  } catch (e) {
    caught = e;
  }
  t.ok(isRelayContentError(caught), 'typed');
  if (!isRelayContentError(caught)) return t.end();
  t.equal(caught.code, 'RELAY_E_CONTENT_XML');
  t.equal(caught.http, 422, 'answered 422 over HTTP');
  t.equal(caught.details.rule, 'malformed');
  t.ok(caught.message.length < 160, `short message (${caught.message.length} chars)`);
  t.notOk(caught.message.includes('x'.repeat(61)), 'quotes at most 60 characters of the input');
  t.type(caught.details.line, 'number', 'line in details');
  t.throws(() => check.end(), caught, 'the same refusal again on the next call');
  t.throws(
    () => {
      check.push(Buffer.from('<a/>'));
    },
    caught,
    'and on a push',
  );
  t.end();
});

void t.test('a check cannot be used after it ended', (t) => {
  const check = createXmlCheck();
  check.push(Buffer.from('<a/>'));
  t.equal(check.end().root, 'a');
  t.throws(() => check.end(), { code: 'RELAY_E_CONTENT_CONFIG' });
  t.throws(
    () => {
      check.push(Buffer.from(' '));
    },
    { code: 'RELAY_E_CONTENT_CONFIG' },
  );
  t.end();
});
