// Whatever bytes arrive, the PDF check answers with a summary or one RELAY_E_CONTENT_PDF: never
// another exception. In: generated good and hostile PDFs with bytes set, inserted, deleted, PDF
// syntax spliced in, cut short or repeated, and random bytes behind a real header, under random
// valid options, cut anywhere (fast-check, 10,000 runs, seed printed). Out: a typed verdict,
// whole and split, and the same one both ways; the check stays usable for exactly one verdict.
import fc from 'fast-check';
import t from 'tap';
import { createPdfCheck } from '../../src/work/content';
import { checkProperty } from '../helpers/property';
import { splitAt, verdictOf } from './lib/chunks';
import { cuts, junk, mutated, options } from './lib/pdf-arbitraries';

void t.test('mutated PDFs and random bytes get a typed verdict, the same however cut', (t) => {
  checkProperty(
    t,
    fc.property(
      fc.oneof({ weight: 4, arbitrary: mutated }, { weight: 1, arbitrary: junk }),
      options,
      cuts,
      (bytes, o, cut) => {
        const whole = verdictOf(createPdfCheck(o), [bytes]);
        const split = verdictOf(createPdfCheck(o), splitAt(bytes, cut(bytes.length)));
        if (whole.ok === 'untyped' || split.ok === 'untyped') return false;
        if (!whole.ok && whole.code !== 'RELAY_E_CONTENT_PDF') return false;
        return JSON.stringify(split) === JSON.stringify(whole);
      },
    ),
    10_000,
  );
  t.end();
});

void t.test('after its verdict a check refuses to go on, typed', (t) => {
  const check = createPdfCheck();
  t.throws(
    () => {
      check.push(Buffer.from('<html>'));
    },
    { code: 'RELAY_E_CONTENT_PDF', details: { rule: 'magic' } },
  );
  t.throws(() => check.end(), { code: 'RELAY_E_CONTENT_PDF', details: { rule: 'magic' } });
  t.end();
});
