// How a body is cut into chunks never changes what the XML check says about it. In: generated
// valid bodies and bodies with exactly one defect (fast-check, fixed seed printed), cut at random
// places or after every byte. Out: the same summary, or the same code and rule, as the whole body;
// and that rule is the one the defect breaks. For bodies with random bytes mangled (several rules
// may break), accepted-or-refused is still the same however they are cut.
import fc from 'fast-check';
import t from 'tap';
import { createXmlCheck } from '../../src/work/content';
import { splitAt, verdictOf } from './lib/chunks';
import { checkAsyncProperty } from '../helpers/property';
import { cuts, defective, mangled, valid } from './lib/xml-docs';

void t.test(
  'valid and one-defect bodies get the same verdict and rule however they are split',
  async (t) => {
    await checkAsyncProperty(
      t,
      fc.property(fc.oneof(valid, defective), cuts, (body, cut) => {
        const whole = verdictOf(createXmlCheck(body.options), [body.bytes]);
        const expected = body.rule === 'none' ? { ok: true } : { ok: false, rule: body.rule };
        if (!matches(whole, expected)) {
          throw new Error(`${body.defect}: whole body gave ${JSON.stringify(whole)}`);
        }
        const split = verdictOf(
          createXmlCheck(body.options),
          splitAt(body.bytes, cut(body.bytes.length)),
        );
        if (JSON.stringify(split) !== JSON.stringify(whole)) {
          throw new Error(
            `${body.defect}: split ${JSON.stringify(split)} vs whole ${JSON.stringify(whole)}`,
          );
        }
      }),
    );
  },
);

void t.test(
  'bodies with mangled bytes are accepted or refused the same however they are split',
  async (t) => {
    await checkAsyncProperty(
      t,
      fc.property(mangled, cuts, (body, cut) => {
        const whole = verdictOf(createXmlCheck(body.options), [body.bytes]);
        const split = verdictOf(
          createXmlCheck(body.options),
          splitAt(body.bytes, cut(body.bytes.length)),
        );
        return whole.ok === split.ok && whole.ok !== 'untyped';
      }),
    );
  },
);

void t.test('the generators reach every defect and valid bodies too', (t) => {
  const seen = new Set<string>();
  for (const b of fc.sample(fc.oneof(valid, defective), { numRuns: 2000, seed: 7 }))
    seen.add(b.rule);
  t.same([...seen].sort(), [
    'attributes',
    'depth',
    'doctype',
    'elements',
    'encoding',
    'malformed',
    'name',
    'none',
    'pi',
    'root',
    'size',
    'text',
  ]);
  t.end();
});

function matches(
  v: ReturnType<typeof verdictOf>,
  expected: { ok: boolean; rule?: string },
): boolean {
  if (expected.ok) return v.ok === true;
  return v.ok === false && v.rule === expected.rule && v.code === 'RELAY_E_CONTENT_XML';
}
