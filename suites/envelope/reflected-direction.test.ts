// ENV-013: a body sealed cloud-to-relay does not open as a reply (relay-to-cloud), nor the
// reverse: the direction is in the key and in the AAD. In: generated sizes. Out: tap results.
import fc from 'fast-check';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';
import { openBody, sealBody, type Direction } from '../../relay/src/protocol/envelope';
import { openParams, outcomeOf, sampleBody, sealParams } from '../fuzz/targets/envelope';

void kase('ENV-013', async (t) => {
  await checkProperty(
    t,
    fc.property(
      fc.constantFrom<Direction>('c2r', 'r2c'),
      fc.integer({ min: 0, max: 70_000 }),
      (direction, n) => {
        const other: Direction = direction === 'c2r' ? 'r2c' : 'c2r';
        const { metadata, sealed } = sealBody(sealParams({ direction }), sampleBody(n));
        return (
          outcomeOf(() => openBody(openParams({ direction: other }), metadata, sealed)) ===
          'ENV_E_AUTH'
        );
      },
    ),
  );
});
