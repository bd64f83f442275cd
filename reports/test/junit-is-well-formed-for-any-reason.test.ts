// renderJunit, read back with a real XML parser (saxes). In: reports built from fixed runs,
// from reasons full of characters XML forbids or treats as markup, and from arbitrary text
// (fast-check). Out: checks that the XML is well-formed, that each area is one testsuite with
// the right counts, and that every reason reads back as it was written (controls made visible).
import { SaxesParser } from 'saxes';
import fc from 'fast-check';
import t from 'tap';
import { buildReport, renderJunit } from '../src';
import { checkProperty } from '../../suites/lib/property';
import { fail, input, mixedRun, pass, skip } from './lib/fixture';

interface Element {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: Element[];
  text: string;
}

/** Parses `xml` into a tree; throws on anything that is not well-formed XML 1.0. */
function parseXml(xml: string): Element {
  const parser = new SaxesParser();
  const root: Element = { name: '#document', attributes: {}, children: [], text: '' };
  const stack: Element[] = [root];
  parser.on('error', (e) => {
    throw e;
  });
  parser.on('opentag', (tag) => {
    const el: Element = {
      name: tag.name,
      attributes: tag.attributes,
      children: [],
      text: '',
    };
    stack[stack.length - 1]?.children.push(el);
    stack.push(el);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  parser.on('text', (text) => {
    const top = stack[stack.length - 1];
    if (top !== undefined) top.text += text;
  });
  parser.write(xml).close();
  return root;
}

function all(el: Element, name: string): Element[] {
  return el.children.flatMap((c) => [...(c.name === name ? [c] : []), ...all(c, name)]);
}

function one(el: Element, name: string): Element {
  const found = all(el, name);
  const [first] = found;
  if (first === undefined || found.length !== 1) {
    throw new Error(`expected one <${name}>, found ${found.length}`);
  }
  return first;
}

void t.test('each area is one testsuite with its tests, failures and skips counted', (t) => {
  const doc = parseXml(renderJunit(buildReport(mixedRun())));
  const root = one(doc, 'testsuites');
  t.match(root.attributes, {
    tests: '8',
    failures: '2',
    errors: '0',
    skipped: '2',
    time: '90.500',
  });
  const suites = all(doc, 'testsuite').map((s) => [
    s.attributes.name,
    s.attributes.tests,
    s.attributes.failures,
    s.attributes.skipped,
    all(s, 'testcase').length,
  ]);
  t.same(suites, [
    ['hs (Handshake)', '2', '0', '0', 2],
    ['ip (Azure address ranges)', '1', '0', '1', 1],
    ['sb (Service Bus namespace)', '2', '0', '1', 2],
    ['port (Outbound ports)', '2', '1', '0', 2],
    ['dlv (Delivery)', '1', '1', '0', 1],
  ]);
  t.end();
});

void t.test('a failed case carries a failure with its reason and failed assertions', (t) => {
  const doc = parseXml(renderJunit(buildReport(mixedRun())));
  const c = all(doc, 'testcase').find((k) => k.attributes.name === 'PORT-003 case PORT-003');
  if (c === undefined) throw new Error('PORT-003 is not in the XML');
  t.equal(c.attributes.classname, 'relaycheck.port');
  t.equal(c.attributes.time, '0.040');
  const f = one(c, 'failure');
  t.equal(f.attributes.message, 'relay never fell back to 443');
  t.equal(f.attributes.type, 'relaycheck.must');
  t.match(
    f.text,
    /relay never fell back to 443\nfailed assertions:\n {2}- falls back\n {2}- diagnoses 5671/,
  );
  t.equal(all(c, 'skipped').length, 0);
  t.end();
});

void t.test('a failure carries what each failed assertion expected and observed', (t) => {
  const report = buildReport(
    input([
      {
        ...fail('PORT-003', 'must', 'relay never fell back to 443'),
        assertions: [
          { name: 'dials 5671 first', ok: true, expected: '5671', observed: '5671' },
          {
            name: 'relays a message',
            ok: false,
            expected: '1 message completed',
            observed: '0 messages\ncompleted <none>',
            at: 'suites/port/falls-back.test.ts:88',
          },
        ],
      },
      {
        ...fail('SB-010', 'should', 'drain left a credit'),
        assertions: [{ name: 'credit is 0', ok: false, expected: '0', observed: '3' }],
      },
    ]),
  );
  const doc = parseXml(renderJunit(report));
  const failure = one(doc, 'failure');
  t.match(
    failure.text,
    'expected and observed:\n  - relays a message\n      expected: 1 message completed\n' +
      '      observed: 0 messages\n          completed <none>\n' +
      '      at: suites/port/falls-back.test.ts:88\n',
  );
  t.notMatch(failure.text, 'dials 5671 first', 'a passing assertion is not a failure');
  t.match(
    one(doc, 'system-out').text,
    'expected and observed:\n  - credit is 0\n      expected: 0\n      observed: 3',
    'a non-strict case says the same in system-out',
  );
  t.end();
});

void t.test('non-strict is a property and system-out, never a failure; skip is skipped', (t) => {
  const doc = parseXml(renderJunit(buildReport(mixedRun())));
  const byId = new Map(all(doc, 'testcase').map((k) => [k.attributes.name?.split(' ')[0], k]));
  const sb10 = byId.get('SB-010');
  if (sb10 === undefined) throw new Error('SB-010 is not in the XML');
  t.equal(all(sb10, 'failure').length, 0);
  t.same(
    all(sb10, 'property').map((p) => [p.attributes.name, p.attributes.value]),
    [
      ['outcome', 'non-strict'],
      ['level', 'should'],
    ],
  );
  t.match(one(sb10, 'system-out').text, /^non-strict: drain left a credit/);
  const ip4 = byId.get('IP-004');
  if (ip4 === undefined) throw new Error('IP-004 is not in the XML');
  t.equal(one(ip4, 'skipped').attributes.message, 'needs root for network namespaces');
  const hs1 = byId.get('HS-001');
  if (hs1 === undefined) throw new Error('HS-001 is not in the XML');
  t.same(
    hs1.children.map((k) => k.name),
    ['properties'],
    'a pass has nothing but its properties',
  );
  t.end();
});

const HOSTILE = 'nul\u0000 esc\u001b[31m amp& lt< gt> quot" apos\' cdata]]> tab\t cr\r lf\n end';

void t.test('a reason with controls, markup and ]]> stays well-formed and reads back', (t) => {
  const report = buildReport(
    input([
      fail('HS-001', 'must', HOSTILE, [HOSTILE]),
      skip('HS-002', HOSTILE),
      fail('HS-003', 'should', HOSTILE),
    ]),
  );
  const xml = renderJunit(report);
  t.notOk(xml.includes('\u0000') || xml.includes('\u001b'), 'no forbidden control is written');
  t.notOk(xml.includes(']]>'), 'no ]]> in character data');
  const doc = parseXml(xml);
  const visible =
    'nul\\u0000 esc\\u001b[31m amp& lt< gt> quot" apos\' cdata]]> tab\t cr\r lf\n end';
  const failure = one(doc, 'failure');
  t.equal(failure.attributes.message, visible, 'the attribute keeps tab, CR and LF');
  t.ok(failure.text.startsWith(`${visible}\nfailed assertions:\n  - ${visible}`));
  t.equal(one(doc, 'skipped').attributes.message, visible);
  t.match(one(doc, 'system-out').text, visible);
  t.end();
});

void t.test('any text in a reason, title or command renders to well-formed XML', async (t) => {
  // any UTF-16 unit (controls, lone surrogates, U+FFFE) and the markup that matters
  const unit = fc.oneof(
    fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    fc.constantFrom('<', '&', '"', "'", ']]>', '\r\n', '\u0000', '\ud83d\ude00'),
  );
  const text = fc.string({ unit, maxLength: 60 });
  await checkProperty(
    t,
    fc.property(text, text, (reason, failure) => {
      const report = buildReport(
        input([pass('HS-001'), fail('HS-002', 'must', reason, [failure]), skip('HS-003', reason)], {
          command: reason,
        }),
      );
      const doc = parseXml(renderJunit(report));
      return all(doc, 'testcase').length === 3 && all(doc, 'failure').length === 1;
    }),
    300,
  );
});
