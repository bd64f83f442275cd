// A DOCTYPE is never accepted, so no entity is ever declared, expanded or fetched. In: a
// billion-laughs body, external-entity (XXE) bodies and plain DOCTYPEs, all built here at run
// time. Out: RELAY_E_CONTENT_XML with rule 'doctype', raised by the chunk that completes
// `<!DOCTYPE`, before the entity references that would expand are ever pushed.
import t from 'tap';
import { checkXml, createXmlCheck, isRelayContentError } from '../../src/work/content';
import { chunkHolding, chunksOf, pushUntilRefused, ruleOf } from './lib/chunks';

/** The classic exponential entity bomb: ten levels of ten references. */
function billionLaughs(): string {
  const levels = ['<!ENTITY lol0 "lol">'];
  for (let i = 1; i < 10; i++) {
    levels.push(`<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`);
  }
  return `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n ${levels.join('\n ')}\n]>\n<lolz>&lol9;</lolz>\n`;
}

const XXE: Record<string, string> = {
  'a SYSTEM file entity': `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>`,
  'a parameter entity naming a URL': `<!DOCTYPE foo [<!ENTITY % dtd SYSTEM "http://127.0.0.1:9/evil.dtd"> %dtd;]><foo>&send;</foo>`,
  'an external DTD': `<!DOCTYPE foo SYSTEM "http://127.0.0.1:9/x.dtd"><foo/>`,
  'a PUBLIC identifier': `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x.dtd"><html/>`,
};

void t.test('a billion-laughs body is refused where its DOCTYPE starts', (t) => {
  const body = Buffer.from(billionLaughs());
  t.equal(
    ruleOf(() => checkXml(body)),
    'doctype',
    'whole body: doctype',
  );

  const size = 16;
  const chunks = chunksOf(body, size);
  const refused = pushUntilRefused(createXmlCheck(), chunks);
  const doctypeEnds = body.indexOf('<!DOCTYPE') + '<!DOCTYPE'.length - 1;
  t.equal(refused?.at, chunkHolding(doctypeEnds, size), 'refused by the chunk ending <!DOCTYPE');
  t.ok(
    (refused?.at ?? Infinity) < chunkHolding(body.indexOf('&lol9;'), size),
    'refused before the first entity reference was pushed',
  );
  t.ok(isRelayContentError(refused?.error), 'the refusal is typed');
  t.end();
});

void t.test('external entities and DTDs are refused before anything could resolve them', (t) => {
  for (const [name, text] of Object.entries(XXE)) {
    const body = Buffer.from(text);
    t.equal(
      ruleOf(() => checkXml(body)),
      'doctype',
      `${name}: whole body`,
    );
    const chunks = chunksOf(body, 4);
    const refused = pushUntilRefused(createXmlCheck(), chunks);
    const end = body.indexOf('<!DOCTYPE') + 8;
    t.equal(refused?.at, chunkHolding(end, 4), `${name}: refused on the chunk ending <!DOCTYPE`);
  }
  t.end();
});

void t.test('a plain DOCTYPE is refused wherever it stands and however it is split', (t) => {
  const cases: Record<string, string> = {
    'at the start': '<!DOCTYPE x><x/>',
    'after the XML declaration and a comment': '<?xml version="1.0"?><!-- c --><!DOCTYPE x><x/>',
    'after the root': '<x/><!DOCTYPE x>',
    'inside the root': '<x><!DOCTYPE x></x>',
    'with no end': '<!DOCTYPE x',
  };
  for (const [name, text] of Object.entries(cases)) {
    t.equal(
      ruleOf(() => checkXml(Buffer.from(text))),
      'doctype',
      name,
    );
  }
  const check = createXmlCheck();
  check.push(Buffer.from('<!DOC'));
  t.throws(
    () => {
      check.push(Buffer.from('TYPE x>'));
    },
    { code: 'RELAY_E_CONTENT_XML', details: { rule: 'doctype' } },
    'split across two chunks: refused by the second',
  );
  t.throws(
    () => check.end(),
    { code: 'RELAY_E_CONTENT_XML', details: { rule: 'doctype' } },
    'and stays refused',
  );
  t.end();
});

void t.test('the letters <!DOCTYPE inside a comment or CDATA section are text, not markup', (t) => {
  t.same(checkXml(Buffer.from('<x><!-- <!DOCTYPE x> --></x>')).root, 'x', 'in a comment');
  t.same(checkXml(Buffer.from('<x><![CDATA[<!DOCTYPE html>]]></x>')).root, 'x', 'in CDATA');
  t.equal(
    ruleOf(() => checkXml(Buffer.from('<!doctype x><x/>'))),
    'malformed',
    'a lower-case doctype is not XML at all',
  );
  t.end();
});
