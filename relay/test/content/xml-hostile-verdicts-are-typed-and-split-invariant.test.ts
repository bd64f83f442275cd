// The XML guard over hostile structures, the part never-throws-untyped-errors.test.ts (random
// bytes and mangled ordinary documents, 1,000 runs) does not reach: DOCTYPEs with entities and
// remote DTDs, XInclude and xml:base, deep nesting, BOMs against declarations, illegal
// characters, oversize tokens. In (fast-check, fixed seed printed): every HOSTILE_XML form made
// under random route limits, as made or with bytes flipped, inserted or removed, cut at random
// places. Out: (1) 10,000 runs: whole or split, the verdict is a summary or a RELAY_E_CONTENT_XML
// refusal, never an untyped error, and accepted-or-refused does not depend on the split; (2) a
// form as made breaks its one rule: the same code and rule whole and however it is split.
import fc from 'fast-check';
import { byteEdits, mangle } from './lib/mangle';
import t from 'tap';
import { createXmlCheck, type XmlCheckInput } from '../../src/work/content';
import { checkProperty } from '../helpers/property';
import { splitAt, verdictOf } from './lib/chunks';
import { HOSTILE_XML, type HostileLimits } from './lib/hostile-xml';

const ROOTS = ['LicenceApplication', 'ChangeOfCircumstances', 'EnvironmentalHealthCase'] as const;

/** Limits a route may set, small enough for the bodies made under them to stay small. */
const limits: fc.Arbitrary<HostileLimits> = fc.record({
  maxBytes: fc.integer({ min: 6 * 1024, max: 12 * 1024 }),
  maxDepth: fc.integer({ min: 4, max: 64 }),
  maxAttributes: fc.integer({ min: 4, max: 64 }),
  // An oversize value of escapes (5 bytes a character) still fits in maxBytes.
  maxAttributeValueLength: fc.integer({ min: 64, max: 1024 }),
  maxNameLength: fc.integer({ min: 32, max: 256 }),
});

const optionsOf = (root: string, l: HostileLimits): XmlCheckInput => ({ expectedRoot: root, ...l });

/**
 * A few random cut points, or now and then (for bodies up to 2 KiB) a cut after every byte:
 * byte-by-byte feeding costs a millisecond or two a body, and xml-check-is-split-invariant does
 * it for ordinary documents already.
 */
const cuts: fc.Arbitrary<(n: number) => number[]> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .array(fc.nat(), { maxLength: 16 })
      .map((cs) => (n: number) => cs.map((c) => c % (n + 1))),
  },
  {
    weight: 1,
    arbitrary: fc.constant((n: number) => (n > 2048 ? [] : Array.from({ length: n }, (_, i) => i))),
  },
);

const edits = byteEdits(3);

const row = fc.nat({ max: HOSTILE_XML.length - 1 });

void t.test('hostile bodies, as made or mangled, get a typed verdict however split', (t) => {
  checkProperty(
    t,
    fc.property(row, fc.constantFrom(...ROOTS), limits, edits, cuts, (i, root, l, list, cut) => {
      const h = HOSTILE_XML[i];
      if (h === undefined) throw new Error(`no row ${String(i)}`);
      const body = mangle(h.make(root, { limits: l, url: 'http://127.0.0.1:9/p' }), list);
      const whole = verdictOf(createXmlCheck(optionsOf(root, l)), [body]);
      const split = verdictOf(createXmlCheck(optionsOf(root, l)), splitAt(body, cut(body.length)));
      for (const v of [whole, split]) {
        if (v.ok === 'untyped') throw new Error(`${h.name}: ${v.error}`);
        if (!v.ok && v.code !== 'RELAY_E_CONTENT_XML') {
          throw new Error(`${h.name}: refused with ${v.code}`);
        }
      }
      if (whole.ok !== split.ok) {
        throw new Error(
          `${h.name}: whole ${JSON.stringify(whole)} vs split ${JSON.stringify(split)}`,
        );
      }
    }),
    10_000,
  );
  t.end();
});

void t.test('a hostile body as made breaks its rule, whole and however split', (t) => {
  checkProperty(
    t,
    fc.property(row, fc.constantFrom(...ROOTS), limits, cuts, (i, root, l, cut) => {
      const h = HOSTILE_XML[i];
      if (h === undefined) throw new Error(`no row ${String(i)}`);
      const body = h.make(root, { limits: l });
      const whole = verdictOf(createXmlCheck(optionsOf(root, l)), [body]);
      const split = verdictOf(createXmlCheck(optionsOf(root, l)), splitAt(body, cut(body.length)));
      const expected = { ok: false, code: 'RELAY_E_CONTENT_XML', rule: h.rule };
      if (JSON.stringify(whole) !== JSON.stringify(expected)) {
        throw new Error(`${h.name}: whole ${JSON.stringify(whole)}`);
      }
      if (JSON.stringify(split) !== JSON.stringify(whole)) {
        throw new Error(
          `${h.name}: split ${JSON.stringify(split)} vs whole ${JSON.stringify(whole)}`,
        );
      }
    }),
    2000,
  );
  t.end();
});
