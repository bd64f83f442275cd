// ENV-004: flipping any one bit of a sealed body (ciphertext or tag, any segment) makes it fail
// to open with ENV_E_AUTH. In: generated sizes and bit positions. Out: tap results.
import fc from 'fast-check';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';
import { openBody, sealBody } from '../../relay/src/protocol/envelope';
import {
  BOUNDARY_SIZES,
  openParams,
  outcomeOf,
  sampleBody,
  sealParams,
} from '../fuzz/targets/envelope';

const size = fc.oneof(fc.integer({ min: 0, max: 200 * 1024 }), fc.constantFrom(...BOUNDARY_SIZES));

void kase('ENV-004', async (t) => {
  await checkProperty(
    t,
    fc.property(size, fc.nat(), fc.nat(), (n, seed, bit) => {
      const { metadata, sealed } = sealBody(sealParams(), sampleBody(n, seed));
      const at = bit % (sealed.length * 8);
      const flipped = Buffer.from(sealed);
      flipped[at >> 3] = (flipped[at >> 3] ?? 0) ^ (1 << (at & 7));
      return outcomeOf(() => openBody(openParams(), metadata, flipped)) === 'ENV_E_AUTH';
    }),
  );
});
