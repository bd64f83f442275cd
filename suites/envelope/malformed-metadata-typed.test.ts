// ENV-019: whatever is passed as rc-* metadata (junk values, wrong types, mutated valid
// headers, hostile objects), parseMetadata returns a result or throws an EnvelopeError, never
// anything else. In: the envelope metadata fuzz target's inputs. Out: tap results.
import fc from 'fast-check';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';
import { parseMetadata } from '../../relay/src/protocol/envelope';
import { envelopeMetadataTarget, outcomeOf } from '../fuzz/targets/envelope';

void kase('ENV-019', async (t) => {
  await checkProperty(
    t,
    fc.property(envelopeMetadataTarget.arbitrary, (input) => {
      outcomeOf(() => envelopeMetadataTarget.run(input)); // rethrows anything untyped
      return true;
    }),
    10_000, // issue 10: at least 10,000 cases of the envelope metadata in npm test
  );
  const hostile: [string, unknown][] = [
    [
      'a proxy whose traps throw',
      new Proxy(
        {},
        {
          getOwnPropertyDescriptor() {
            throw new Error('trap');
          },
          get() {
            throw new Error('trap');
          },
        },
      ),
    ],
    [
      'an object whose rc-env getter throws',
      Object.defineProperty({}, 'rc-env', {
        enumerable: true,
        get() {
          throw new Error('getter');
        },
      }),
    ],
    ['an object without a prototype', Object.create(null) as unknown],
    ['a string', 'rc-env: v1'],
    ['an array', [['rc-env', 'v1']]],
    ['null', null],
  ];
  for (const [label, input] of hostile) {
    const outcome = outcomeOf(() => parseMetadata(input));
    t.ok(outcome === 'ok' || outcome.startsWith('ENV_E_'), `${label} gives ${outcome}`);
  }
});
