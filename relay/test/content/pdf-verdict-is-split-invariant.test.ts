// The PDF check's verdict does not depend on where the body is cut. In: every generated good and
// hostile PDF (Flate bombs of 16 and 128 MiB included), under random valid options, cut at up to
// 24 random places or after every byte (fast-check, 1,500 runs, seed printed). Out: the same
// verdict as the whole body — the same summary (version, bytes, findings) or the same rule.
import fc from 'fast-check';
import t from 'tap';
import { createPdfCheck } from '../../src/work/content';
import { checkProperty } from '../helpers/property';
import { splitAt, verdictOf } from './lib/chunks';
import { SAMPLES, cuts, options } from './lib/pdf-arbitraries';

void t.test('any split of any generated PDF gives the same verdict and rule', (t) => {
  checkProperty(
    t,
    fc.property(fc.nat({ max: SAMPLES.length - 1 }), options, cuts, (i, o, cut) => {
      const pdf = SAMPLES[i] ?? Buffer.alloc(0);
      const whole = verdictOf(createPdfCheck(o), [pdf]);
      const split = verdictOf(createPdfCheck(o), splitAt(pdf, cut(pdf.length)));
      return whole.ok !== 'untyped' && JSON.stringify(split) === JSON.stringify(whole);
    }),
    1500,
  );
  t.end();
});
