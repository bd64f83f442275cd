// Fuzz target for the relay's XML content guard (relay/src/work/content/xml.ts). In: bodies —
// every HOSTILE_XML form (DOCTYPEs, entities, remote DTDs, XInclude, deep nesting, BOMs against
// declarations, illegal characters, oversize tokens, truncation, wrong roots) made under random
// route limits, as made or with bytes flipped, inserted or removed; documents built from XML's
// markup pieces in any order; ordinary documents (valid, so the deep paths are reached) and their
// byte mutations (relay/test/content/lib/xml-docs.ts); random bytes — each cut into random chunks and checked under those
// limits. Out: a summary or RELAY_E_CONTENT_XML; any other exception is a finding.
import fc from 'fast-check';
import { byteEdits, mangle } from '../../../relay/test/content/lib/mangle';
import { createXmlCheck, type XmlCheckInput } from '../../../relay/src/work/content';
import { mangled, valid } from '../../../relay/test/content/lib/xml-docs';
import { HOSTILE_XML } from '../../lib/hostile/xml';
import type { FuzzTarget } from '../types';

const ROOTS = ['LicenceApplication', 'ChangeOfCircumstances', 'EnvironmentalHealthCase'] as const;

export interface XmlFuzzInput {
  readonly body: Uint8Array;
  readonly options: XmlCheckInput;
  /** Offsets to cut the body at (any order; out-of-range ones ignored). */
  readonly cuts: readonly number[];
}

const limits = fc.record({
  maxBytes: fc.integer({ min: 1024, max: 16 * 1024 }),
  maxDepth: fc.integer({ min: 1, max: 64 }),
  maxAttributes: fc.integer({ min: 0, max: 64 }),
  maxAttributeValueLength: fc.integer({ min: 0, max: 2048 }),
  maxNameLength: fc.integer({ min: 1, max: 256 }),
  maxTextLength: fc.integer({ min: 0, max: 4096 }),
  maxElements: fc.integer({ min: 1, max: 2000 }),
});

const edits = byteEdits(4);

const MARKUP = [
  '<',
  '>',
  '/>',
  '</',
  '<a>',
  '</a>',
  '<a b="c">',
  '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="x"/>',
  ' xml:base="http://127.0.0.1:9/"',
  '<!DOCTYPE a [',
  ']>',
  '<!ENTITY e "x">',
  '<!ENTITY % p SYSTEM "http://127.0.0.1:9/">',
  '%p;',
  '&e;',
  '&amp;',
  '&#xD800;',
  '&#0;',
  '&#x10FFFF;',
  '<?xml version="1.0" encoding="UTF-8"?>',
  '<?xml version="1.1"?>',
  '<?pi x?>',
  '<!--',
  '-->',
  '<![CDATA[',
  ']]>',
  'x',
  ' ',
  '\n',
  '\u0001',
  '\ufffe',
  '\ufeff',
  'Ŵ',
  '😀',
  'LicenceApplication',
] as const;

const bodies: fc.Arbitrary<{ body: Uint8Array; options: XmlCheckInput }> = fc.oneof(
  fc
    .tuple(fc.nat({ max: HOSTILE_XML.length - 1 }), fc.constantFrom(...ROOTS), limits, edits)
    .map(([i, root, l, list]) => {
      const h = HOSTILE_XML[i];
      const made = h === undefined ? Buffer.alloc(0) : h.make(root, { limits: l });
      return { body: mangle(made, list), options: { expectedRoot: root, ...l } };
    }),
  fc
    .tuple(fc.array(fc.constantFrom(...MARKUP), { maxLength: 40 }), limits, fc.boolean())
    .map(([parts, l, bom]) => ({
      body: Buffer.concat([
        Buffer.from(bom ? [0xef, 0xbb, 0xbf] : []),
        Buffer.from(parts.join(''), 'utf8'),
      ]),
      options: l,
    })),
  fc.tuple(fc.uint8Array({ maxLength: 2000 }), limits).map(([body, l]) => ({ body, options: l })),
  valid.map((b) => ({ body: b.bytes, options: b.options })),
  mangled.map((b) => ({ body: b.bytes, options: b.options })),
);

export const xmlArbitrary: fc.Arbitrary<XmlFuzzInput> = fc
  .tuple(bodies, fc.array(fc.nat(), { maxLength: 16 }))
  .map(([b, cuts]) => ({ ...b, cuts }));

/** `body` cut at `cuts` (views, no copies). */
function pieces(body: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (body.length + 1)))]
    .filter((c) => c > 0 && c < body.length)
    .sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, body.length]) {
    out.push(body.subarray(from, p));
    from = p;
  }
  return out;
}

export const xmlGuardTarget: FuzzTarget<XmlFuzzInput> = {
  name: 'XML content guard (hostile bodies, any chunking)',
  arbitrary: xmlArbitrary,
  run: (input) => {
    const check = createXmlCheck(input.options);
    for (const piece of pieces(input.body, input.cuts)) check.push(piece);
    return check.end();
  },
};
