// ENV-012: a sealed body presented on any other route fails to open with ENV_E_AUTH.
// In: generated pairs of distinct routes. Out: tap results.
import fc from 'fast-check';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';
import { openBody, sealBody } from '../../relay/src/protocol/envelope';
import { openParams, outcomeOf, sampleBody, sealParams } from '../fuzz/targets/envelope';

const route = fc.oneof(
  fc.constantFrom(
    'council-tax/retrieve',
    'business-rates/retrieve',
    'benefits/retrieve',
    'documents/retrieve',
    'council-tax/post',
    'environmental-health/post',
    'licensing/post',
    'evidence/post',
  ),
  fc.stringMatching(/^[a-z0-9/._-]{1,40}$/),
);

void kase('ENV-012', async (t) => {
  await checkProperty(
    t,
    fc.property(route, route, fc.integer({ min: 0, max: 70_000 }), (a, b, n) => {
      fc.pre(a !== b);
      const { metadata, sealed } = sealBody(sealParams({ route: a }), sampleBody(n));
      return outcomeOf(() => openBody(openParams({ route: b }), metadata, sealed)) === 'ENV_E_AUTH';
    }),
  );
});
