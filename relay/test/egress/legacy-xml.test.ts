// Unit tests of the legacy XML parser (relay/src/egress/legacy-xml.ts): positions and
// wording of each refusal, the look-alike characters, lenient mode, and the markup that is
// allowed (comments, declarations, character references).
import t from 'tap';
import { formatCidr } from '../../src/egress/cidr';
import { parseLegacyXml } from '../../src/egress/legacy-xml';

const doc = (body: string, rootAttrs = ''): string =>
  `<?xml version="1.0" encoding="utf-8"?>\n<AzurePublicIpAddresses${rootAttrs}>\n${body}\n</AzurePublicIpAddresses>\n`;

void t.test('a minimal list parses with comments, namespaces and CRLF line ends', (t) => {
  const text = doc(
    '<!-- UK -->\r\n<Region Name="uksouth"><IpRange Subnet="10.0.0.0/8" /><IpRange Subnet="2603::/16"></IpRange></Region>\r\n<Region Name="ukwest"/>',
    ' xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="urn:x"',
  );
  const s = parseLegacyXml(text);
  t.equal(s.format, 'xml');
  t.equal(s.layout, 'legacy-xml');
  t.equal(s.changeNumber, undefined);
  t.same(
    s.groups.map((g) => [g.region, g.tag, g.family, g.prefixes.map(formatCidr)]),
    [
      ['uksouth', undefined, 'AzureCloud', ['10.0.0.0/8', '2603::/16']],
      ['ukwest', undefined, 'AzureCloud', []],
    ],
  );
  t.end();
});

void t.test('bytes are decoded as UTF-8 and a byte order mark is dropped', (t) => {
  const bytes = Buffer.concat([
    Buffer.from([0xef, 0xbb, 0xbf]),
    Buffer.from(doc('<Region Name="a"/>')),
  ]);
  t.equal(parseLegacyXml(bytes).groups.length, 1);
  t.throws(() => parseLegacyXml(Buffer.from([0x3c, 0xff, 0x3e])), { code: 'IP_E_ENCODING' });
  t.throws(() => parseLegacyXml(Buffer.from([0xff, 0xfe, 0x3c, 0])), {
    code: 'IP_E_ENCODING',
    message: /UTF-16/,
  });
  t.end();
});

void t.test('each look-alike space is named with its code point and position', (t) => {
  const cases: [string, string, RegExp][] = [
    ['<Region\u00a0Name="a"/>', 'U+00A0', /between a tag name and its attributes/],
    ['<Region Name="a"\u2009/>', 'U+2009', /before the end of a tag/],
    ['<Region Name="a"\u200bX="b"/>', 'U+200B', /between attributes/],
    ['<Region Name="a"></Region\u3000>', 'U+3000', /inside an end tag/],
    ['<Region Name="a"/>\u00a0', 'U+00A0', /between elements/],
  ];
  for (const [body, cp, where] of cases) {
    t.throws(
      () => parseLegacyXml(doc(body)),
      { code: 'IP_E_CHARACTER', details: { line: 3, character: cp }, message: where },
      body,
    );
  }
  t.end();
});

void t.test('curly quotes around an attribute value are named as such', (t) => {
  t.throws(() => parseLegacyXml(doc('<Region Name=\u201cuksouth\u201d/>')), {
    code: 'IP_E_CHARACTER',
    message:
      /line 3, column 14: U\+201C LEFT DOUBLE QUOTATION MARK where XML requires a straight quote/,
  });
  t.end();
});

void t.test('U+00A0 inside text or an attribute value is not markup and is not replaced', (t) => {
  t.throws(
    () =>
      parseLegacyXml(doc('<Region Name="a"><IpRange Subnet="10.0.0.0/8\u00a0"/></Region>'), {
        tolerateNbsp: true,
      }),
    {
      code: 'IP_E_CIDR',
    },
  );
  t.throws(
    () => parseLegacyXml(doc('<Region Name="a">x\u00a0y</Region>'), { tolerateNbsp: true }),
    {
      code: 'IP_E_SCHEMA',
      message: /unexpected text/,
    },
  );
  t.end();
});

void t.test('tolerant mode replaces only U+00A0 and still refuses other look-alikes', (t) => {
  const s = parseLegacyXml(doc('<Region\u00a0Name="a"\u00a0/>\u00a0\u00a0'), {
    tolerateNbsp: true,
  });
  t.equal(s.nbspReplaced, 4);
  t.throws(() => parseLegacyXml(doc('<Region\u2007Name="a"/>'), { tolerateNbsp: true }), {
    code: 'IP_E_CHARACTER',
    details: { character: 'U+2007' },
  });
  t.end();
});

void t.test(
  'entity and character references: the five predefined ones pass, others are refused',
  (t) => {
    t.equal(parseLegacyXml(doc('<Region Name="a&amp;b&#x41;&#66;"/>')).groups[0]?.region, 'a&bAB');
    t.throws(() => parseLegacyXml(doc('<Region Name="&xxe;"/>')), {
      code: 'IP_E_ENTITY',
      details: { line: 3, column: 15, entity: 'xxe' },
    });
    t.throws(() => parseLegacyXml(doc('&lol9;')), { code: 'IP_E_ENTITY' });
    t.end();
  },
);

void t.test('DOCTYPE and ENTITY declarations are refused at their first character', (t) => {
  t.throws(() => parseLegacyXml('<?xml version="1.0"?>\n  <!doctype x>\n<x/>'), {
    code: 'IP_E_DOCTYPE',
    details: { line: 2, column: 3 },
  });
  t.throws(() => parseLegacyXml(doc('<!ENTITY a "b">')), { code: 'IP_E_DOCTYPE' });
  t.end();
});

void t.test(
  'a DOCTYPE hidden in a comment or CDATA is only text and is not refused as one',
  (t) => {
    t.equal(parseLegacyXml(doc('<!-- <!DOCTYPE x> -->')).groups.length, 0);
    t.throws(() => parseLegacyXml(doc('<![CDATA[<!DOCTYPE x>]]>')), {
      code: 'IP_E_SCHEMA',
      message: /CDATA/,
    });
    t.end();
  },
);

void t.test('well-formedness errors carry line and column from the XML parser', (t) => {
  t.throws(() => parseLegacyXml(doc('<Region Name="a">')), { code: 'IP_E_XML' });
  t.throws(
    () =>
      parseLegacyXml('<AzurePublicIpAddresses><Region Name="a"></Regio></AzurePublicIpAddresses>'),
    {
      code: 'IP_E_XML',
      details: { line: 1 },
    },
  );
  t.throws(() => parseLegacyXml(''), { code: 'IP_E_XML' });
  t.throws(() => parseLegacyXml('<AzurePublicIpAddresses/><b/>'), { code: 'IP_E_XML' });
  t.end();
});

void t.test('the structure is checked: root, Region@Name, IpRange@Subnet, no stray text', (t) => {
  t.throws(() => parseLegacyXml('<Other/>'), {
    code: 'IP_E_SCHEMA',
    message: /root element is <Other>/,
  });
  t.throws(() => parseLegacyXml(doc('<Region/>')), { code: 'IP_E_SCHEMA', message: /no Name/ });
  t.throws(() => parseLegacyXml(doc('<Region Name="a"><IpRange/></Region>')), {
    code: 'IP_E_SCHEMA',
    message: /no Subnet/,
  });
  t.throws(() => parseLegacyXml(doc('<IpRange Subnet="10.0.0.0/8"/>')), {
    code: 'IP_E_SCHEMA',
    details: { path: '/AzurePublicIpAddresses/IpRange' },
  });
  t.throws(() => parseLegacyXml(doc('<Region Name="a"/><Region Name="A"/>')), {
    code: 'IP_E_SCHEMA',
    message: /appears twice/,
  });
  t.throws(() => parseLegacyXml(doc('hello')), {
    code: 'IP_E_SCHEMA',
    message: /unexpected text "hello"/,
  });
  t.end();
});

void t.test('a bad Subnet is reported at its value, with the XML path', (t) => {
  t.throws(
    () =>
      parseLegacyXml(doc('<Region Name="uksouth">\n  <IpRange Subnet="10.0.0.1/8"/>\n</Region>')),
    {
      code: 'IP_E_CIDR',
      details: {
        line: 4,
        column: 20,
        value: '10.0.0.1/8',
        path: '/AzurePublicIpAddresses/Region[@Name="uksouth"]/IpRange[1]/@Subnet',
      },
    },
  );
  t.end();
});

void t.test('lenient mode skips unknown markup, merges duplicate regions and says so', (t) => {
  const s = parseLegacyXml(
    doc(
      '<Region Name="a" Extra="1"><IpRange Subnet="10.0.0.0/8" Note="x"/><Unknown><IpRange Subnet="bad"/></Unknown></Region><Region Name="a"><IpRange Subnet="11.0.0.0/8"/></Region>text',
    ),
    { strict: false },
  );
  t.same(
    s.groups.map((g) => g.prefixes.map(formatCidr)),
    [['10.0.0.0/8', '11.0.0.0/8']],
  );
  t.equal(s.warnings.length, 5);
  t.match(
    s.warnings.join('\n'),
    /unexpected attribute Extra.*\n.*unexpected attribute Note.*\n.*unexpected element <Unknown>.*\n.*appears twice.*\n.*unexpected text/,
  );
  t.end();
});

void t.test('inputs over the size limit are refused before parsing', (t) => {
  t.throws(() => parseLegacyXml(doc(''), { maxBytes: 10 }), { code: 'IP_E_SIZE' });
  t.throws(() => parseLegacyXml(Buffer.from(doc('')), { maxBytes: 10 }), { code: 'IP_E_SIZE' });
  t.end();
});
