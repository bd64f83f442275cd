// ENV-014: a body sealed for one tenant does not open for another, even where both tenants
// were (wrongly) given the same K: the tenant is in the key derivation and in the AAD.
// In: generated pairs of distinct tenants. Out: tap results.
import fc from 'fast-check';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';
import { openBody, sealBody } from '../../relay/src/protocol/envelope';
import { openParams, outcomeOf, sampleBody, sealParams } from '../fuzz/targets/envelope';

const tenant = fc.stringMatching(/^[a-z0-9-]{3,64}$/);

void kase('ENV-014', async (t) => {
  await checkProperty(
    t,
    fc.property(tenant, tenant, fc.integer({ min: 0, max: 70_000 }), (a, b, n) => {
      fc.pre(a !== b);
      const { metadata, sealed } = sealBody(sealParams({ tenant: a }), sampleBody(n));
      return (
        outcomeOf(() => openBody(openParams({ tenant: b }), metadata, sealed)) === 'ENV_E_AUTH'
      );
    }),
  );
});
