// Whatever bytes arrive, the content checks answer with a summary or one RelayContentError: never
// another exception, never a hang. In: arbitrary bytes, mangled XML bodies and bytes behind a real
// PDF header, cut anywhere, under random valid limits (fast-check, fixed seed printed). Out: the
// verdict is typed every time (and for PDF bodies, the same however they are cut).
import fc from 'fast-check';
import t from 'tap';
import { createPdfCheck, createXmlCheck, type XmlCheckInput } from '../../src/work/content';
import { splitAt, verdictOf } from './lib/chunks';
import { checkAsyncProperty } from '../helpers/property';
import { cuts, mangled } from './lib/xml-docs';

const xmlLimits: fc.Arbitrary<XmlCheckInput> = fc.record(
  {
    maxBytes: fc.integer({ min: 1, max: 4096 }),
    maxDepth: fc.integer({ min: 1, max: 8 }),
    maxAttributes: fc.integer({ min: 0, max: 8 }),
    maxNameLength: fc.integer({ min: 1, max: 16 }),
    maxAttributeValueLength: fc.integer({ min: 0, max: 32 }),
    maxTextLength: fc.integer({ min: 0, max: 32 }),
    maxElements: fc.integer({ min: 1, max: 32 }),
    expectedRoot: fc.constantFrom('a', 'doc', 'Application'),
  },
  { requiredKeys: [] },
);

const typed = (v: ReturnType<typeof verdictOf>): boolean => v.ok !== 'untyped';

void t.test(
  'the XML check answers arbitrary bytes with a summary or a typed refusal',
  async (t) => {
    await checkAsyncProperty(
      t,
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 2000 }),
          mangled.map((b) => new Uint8Array(b.bytes)),
        ),
        xmlLimits,
        cuts,
        (bytes, options, cut) =>
          typed(verdictOf(createXmlCheck(options), splitAt(bytes, cut(bytes.length)))) &&
          typed(verdictOf(createXmlCheck(), [bytes])),
      ),
    );
  },
);

void t.test(
  'the PDF check answers arbitrary bytes with a summary or a typed refusal',
  async (t) => {
    const header = fc.constantFrom('', '%PDF-1.4\n', '%PDF-2.0\r\n', '%PDF-1.', '%%EOF');
    const trailer = fc.constantFrom('', '%%EOF', '%%EOF\n', '\n%%EOF \r\n\u0000', '%%EO');
    await checkAsyncProperty(
      t,
      fc.property(
        header,
        fc.uint8Array({ maxLength: 3000 }),
        trailer,
        fc.integer({ min: 16, max: 4096 }),
        cuts,
        (h, middle, tr, maxBytes, cut) => {
          const bytes = Buffer.concat([
            Buffer.from(h, 'latin1'),
            middle,
            Buffer.from(tr, 'latin1'),
          ]);
          const split = verdictOf(createPdfCheck({ maxBytes }), splitAt(bytes, cut(bytes.length)));
          const whole = verdictOf(createPdfCheck({ maxBytes }), [bytes]);
          return typed(split) && typed(whole) && JSON.stringify(split) === JSON.stringify(whole);
        },
      ),
    );
  },
);
