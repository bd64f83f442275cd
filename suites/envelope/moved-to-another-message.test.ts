// ENV-011: a sealed body presented under any other messageId fails to open with ENV_E_AUTH.
// In: generated pairs of distinct message ids. Out: tap results.
import fc from 'fast-check';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';
import { openBody, sealBody } from '../../relay/src/protocol/envelope';
import { openParams, outcomeOf, sampleBody, sealParams } from '../fuzz/targets/envelope';

const messageId = fc.stringMatching(/^[A-Za-z0-9:_-]{1,40}$/);

void kase('ENV-011', async (t) => {
  await checkProperty(
    t,
    fc.property(messageId, messageId, fc.integer({ min: 0, max: 70_000 }), (a, b, n) => {
      fc.pre(a !== b);
      const { metadata, sealed } = sealBody(sealParams({ messageId: a }), sampleBody(n));
      return (
        outcomeOf(() => openBody(openParams({ messageId: b }), metadata, sealed)) === 'ENV_E_AUTH'
      );
    }),
  );
});
