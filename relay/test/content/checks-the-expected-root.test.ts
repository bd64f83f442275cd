// A route can name the root element its back office expects. In: bodies with the right and wrong
// root (by local name, prefixed, and by namespace), second roots, no root. Out: the summary names
// the root; a wrong root is refused with rule 'root' by the chunk that holds its name, before the
// rest of the body is pushed.
import t from 'tap';
import { checkXml, createXmlCheck } from '../../src/work/content';
import { chunksOf, pushUntilRefused, ruleOf } from './lib/chunks';

const LICENSING = 'urn:council:licensing:v1';

void t.test('the expected root is matched by its local name, with or without a prefix', (t) => {
  const plain = checkXml(Buffer.from('<Application><Premises/></Application>'), {
    expectedRoot: 'Application',
  });
  t.same(plain, { root: 'Application', namespace: '', elements: 2, maxDepth: 2, bytes: 38 });
  const prefixed = checkXml(
    Buffer.from(`<lic:Application xmlns:lic="${LICENSING}"><lic:Premises/></lic:Application>`),
    { expectedRoot: 'Application', expectedNamespace: LICENSING },
  );
  t.equal(prefixed.root, 'Application', 'local name of a prefixed root');
  t.equal(prefixed.namespace, LICENSING, 'its namespace');
  t.equal(checkXml(Buffer.from('<anything/>')).root, 'anything', 'no expectation: any root');
  t.end();
});

void t.test('another root is refused by the chunk that completes its name', (t) => {
  const body = Buffer.from(`<Payment>${'<Line amount="1"/>'.repeat(100)}</Payment>`);
  const refused = pushUntilRefused(
    createXmlCheck({ expectedRoot: 'Application' }),
    chunksOf(body, 4),
  );
  t.equal(refused?.at, 2, 'the name ends at the 9th byte, in the third chunk');
  t.match(refused?.error, {
    code: 'RELAY_E_CONTENT_XML',
    http: 422,
    details: { rule: 'root' },
    message: /Payment, not Application/,
  });
  t.equal(
    ruleOf(() => checkXml(Buffer.from('<application/>'), { expectedRoot: 'Application' })),
    'root',
    'names are case-sensitive',
  );
  t.end();
});

void t.test('the right name in the wrong namespace is refused', (t) => {
  for (const body of [
    '<Application/>',
    '<Application xmlns="urn:other"/>',
    `<x:Application xmlns:x="urn:other" xmlns:y="${LICENSING}"/>`,
  ]) {
    t.equal(
      ruleOf(() =>
        checkXml(Buffer.from(body), { expectedRoot: 'Application', expectedNamespace: LICENSING }),
      ),
      'root',
      body,
    );
  }
  t.end();
});

void t.test('exactly one root: none, two, or text and CDATA beside it are refused', (t) => {
  const bad: Record<string, string> = {
    'an empty body': '',
    'only whitespace and a comment': ' \n<!-- nothing -->\n',
    'two roots': '<a/><a/>',
    'a second root after whitespace': '<a></a>\n<b/>',
    'text before the root': 'hello<a/>',
    'text after the root': '<a/>bye',
    'CDATA after the root': '<a/><![CDATA[x]]>',
    'an escaped character after the root': '<a/>&amp;',
  };
  for (const [name, body] of Object.entries(bad)) {
    t.equal(
      ruleOf(() => checkXml(Buffer.from(body))),
      'root',
      name,
    );
  }
  t.equal(
    ruleOf(() => checkXml(Buffer.from('<a/><a/>'), { expectedRoot: 'a' })),
    'root',
    'a second root of the expected name',
  );
  const ok = checkXml(Buffer.from('\n <!-- before -->\n<a/>\n<!-- after -->\n \t'));
  t.equal(ok.root, 'a', 'whitespace and comments around the root are fine');
  t.end();
});

void t.test('a route that accepts several roots takes any of them and refuses the rest', (t) => {
  const roots = ['ChangeOfCircumstances', 'CouncilTaxReductionClaim'];
  t.equal(
    checkXml(Buffer.from('<ChangeOfCircumstances/>'), { expectedRoot: roots }).root,
    roots[0],
  );
  t.equal(
    checkXml(Buffer.from('<CouncilTaxReductionClaim/>'), { expectedRoot: roots }).root,
    roots[1],
  );
  let message = '';
  try {
    checkXml(Buffer.from('<LicenceApplication/>'), { expectedRoot: roots });
  } catch (e) {
    message = e instanceof Error ? e.message : '';
  }
  t.match(message, /LicenceApplication, not ChangeOfCircumstances or CouncilTaxReductionClaim/);
  t.end();
});
