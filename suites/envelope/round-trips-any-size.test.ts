// ENV-001: any body of 0 to 300 KiB, on any binding (tenant, messageId, route, direction),
// seals and opens to the same bytes. In: generated sizes and bindings. Out: tap results.
import fc from 'fast-check';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';
import {
  openBody,
  sealBody,
  sealedLength,
  type Direction,
} from '../../relay/src/protocol/envelope';
import { BOUNDARY_SIZES, openParams, sampleBody, sealParams } from '../fuzz/targets/envelope';

const printable = fc
  .integer({ min: 0x21, max: 0x7e })
  .filter((c) => c !== 0x7c)
  .map((c) => String.fromCharCode(c));

const bindingArbitrary = fc.record({
  tenant: fc.stringMatching(/^[a-z0-9-]{3,64}$/),
  messageId: fc.string({ unit: printable, minLength: 1, maxLength: 128 }),
  route: fc.string({ unit: printable, minLength: 1, maxLength: 60 }),
  direction: fc.constantFrom<Direction>('c2r', 'r2c'),
});

const size = fc.oneof(
  fc.integer({ min: 0, max: 300 * 1024 }),
  fc.constantFrom(...BOUNDARY_SIZES),
  fc.integer({ min: 0, max: 100 }),
);

void kase('ENV-001', async (t) => {
  await checkProperty(
    t,
    fc.property(size, fc.nat(), bindingArbitrary, (n, seed, binding) => {
      const body = sampleBody(n, seed);
      const { metadata, sealed } = sealBody(sealParams(binding), body);
      if (sealed.length !== sealedLength(n)) return false;
      return openBody(openParams(binding), metadata, sealed).equals(body);
    }),
  );
});
