// Every XML limit breaks on the chunk that crosses it, not when the body (or the token) ends.
// In: bodies built here that break one limit each, pushed in small chunks. Out: the index of the
// refused chunk is the one holding the first character over the limit (or the character that
// completes the offending token, for counts), far before the last chunk; the rule is named.
import t from 'tap';
import { createXmlCheck, parseXmlCheckOptions, type XmlCheckInput } from '../../src/work/content';
import { chunkHolding, chunksOf, pushUntilRefused } from './lib/chunks';

interface Case {
  readonly options?: XmlCheckInput;
  readonly body: string;
  /** Offset of the character that breaks the limit. */
  readonly breaksAt: number;
  readonly rule: string;
  readonly chunk: number;
}

function expectRefusedAt(t: tap.Test, name: string, c: Case): void {
  const body = Buffer.from(c.body);
  const chunks = chunksOf(body, c.chunk);
  const refused = pushUntilRefused(createXmlCheck(c.options), chunks);
  t.equal(refused?.at, chunkHolding(c.breaksAt, c.chunk), `${name}: refused by the crossing chunk`);
  t.ok((refused?.at ?? Infinity) < chunks.length - 1, `${name}: before the last chunk`);
  t.match(refused?.error, { code: 'RELAY_E_CONTENT_XML', details: { rule: c.rule } }, name);
}

void t.test('the defaults are the documented ones', (t) => {
  t.same(parseXmlCheckOptions({}), {
    maxBytes: 10 * 1024 * 1024,
    maxDepth: 64,
    maxAttributes: 64,
    maxNameLength: 256,
    maxAttributeValueLength: 64 * 1024,
    maxTextLength: 1024 * 1024,
    maxElements: 1_000_000,
  });
  t.end();
});

void t.test('nesting deeper than maxDepth (64) is refused at the 65th open tag', (t) => {
  const body = '<a>'.repeat(65) + 'x' + '</a>'.repeat(65);
  // opentagstart of the 65th element fires on its '>' (offset 64 * 3 + 2).
  expectRefusedAt(t, 'depth', { body, breaksAt: 64 * 3 + 2, rule: 'depth', chunk: 7 });
  t.end();
});

void t.test('more than maxAttributes (64) on one element is refused at the 65th', (t) => {
  const attrs = Array.from({ length: 70 }, (_, i) => ` a${String(i).padStart(2, '0')}="v"`);
  const body = `<r${attrs.join('')}/>`;
  const one = ' a00="v"'.length;
  const breaksAt = 2 + 64 * one + one - 1; // the 65th closing quote
  expectRefusedAt(t, 'attributes', { body, breaksAt, rule: 'attributes', chunk: 5 });
  t.end();
});

void t.test('a name longer than maxNameLength (256) is refused while it is being read', (t) => {
  const name = 'n'.repeat(2000);
  expectRefusedAt(t, 'element name', {
    body: `<${name}/>`,
    breaksAt: 1 + 256,
    rule: 'name',
    chunk: 16,
  });
  expectRefusedAt(t, 'attribute name', {
    body: `<r ${name}="1"/>`,
    breaksAt: 3 + 256,
    rule: 'name',
    chunk: 16,
  });
  t.end();
});

void t.test(
  'an attribute value longer than maxAttributeValueLength (64 KiB) is refused early',
  (t) => {
    const prefix = '<r v="';
    const body = `${prefix}${'v'.repeat(200 * 1024)}"/>`;
    expectRefusedAt(t, 'value', {
      body,
      breaksAt: prefix.length + 64 * 1024,
      rule: 'attributes',
      chunk: 1000,
    });
    t.end();
  },
);

void t.test('text, comments and CDATA longer than maxTextLength (1 MiB) are refused early', (t) => {
  const big = 'x'.repeat(3 * 1024 * 1024);
  for (const [name, open, close] of [
    ['a text node', '<r>', '</r>'],
    ['a comment', '<r><!--', '--></r>'],
    ['a CDATA section', '<r><![CDATA[', ']]></r>'],
  ] as const) {
    expectRefusedAt(t, name, {
      body: `${open}${big}${close}`,
      breaksAt: open.length + 1024 * 1024,
      rule: 'text',
      chunk: 64 * 1024,
    });
  }
  expectRefusedAt(t, 'a lowered limit', {
    options: { maxTextLength: 10 },
    body: '<r>0123456789abcdef</r>',
    breaksAt: 3 + 10,
    rule: 'text',
    chunk: 2,
  });
  t.end();
});

void t.test('more than maxElements elements is refused at the first one over', (t) => {
  const body = `<r>${'<e/>'.repeat(200)}</r>`;
  // r is element 1; the 100th <e/> is element 101, whose name ends at its '/'.
  expectRefusedAt(t, 'elements', {
    options: { maxElements: 100 },
    body,
    breaksAt: 3 + 99 * 4 + 2,
    rule: 'elements',
    chunk: 8,
  });
  t.end();
});

void t.test('a body larger than maxBytes is refused by the chunk that passes the limit', (t) => {
  const body = `<r>${' '.repeat(3000)}</r>`;
  expectRefusedAt(t, 'size', {
    options: { maxBytes: 1000 },
    body,
    breaksAt: 1000,
    rule: 'size',
    chunk: 64,
  });
  t.end();
});

void t.test('a processing instruction is refused as soon as its target cannot be xml', (t) => {
  expectRefusedAt(t, 'pi', {
    body: `<r><?target ${'d'.repeat(5000)}?></r>`,
    breaksAt: 3 + '<?'.length, // the 't' of target
    rule: 'pi',
    chunk: 4,
  });
  t.end();
});

void t.test(
  'a PI whose target starts like the XML declaration is refused at the first letter that differs',
  (t) => {
    expectRefusedAt(t, 'xml-stylesheet', {
      body: `<?xml-stylesheet ${'d'.repeat(5000)}?><r/>`,
      breaksAt: '<?xml-'.length - 1,
      rule: 'pi',
      chunk: 4,
    });
    t.end();
  },
);
