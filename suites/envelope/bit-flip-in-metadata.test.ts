// ENV-005: flipping any one bit of any rc-* header, in its name or its value, makes the message
// fail to open with a typed refusal. In: generated fields and bit positions. Out: tap results.
import fc from 'fast-check';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';
import { metadataToHeaders, openMessage, sealBody } from '../../relay/src/protocol/envelope';
import { openParams, outcomeOf, sampleBody, sealParams } from '../fuzz/targets/envelope';

const REFUSALS = new Set([
  'ENV_E_FORMAT',
  'ENV_E_VERSION',
  'ENV_E_KID',
  'ENV_E_STALE',
  'ENV_E_AUTH',
]);

function flipBit(text: string, bit: number): string {
  const bytes = Buffer.from(text, 'utf8');
  const at = bit % (bytes.length * 8);
  bytes[at >> 3] = (bytes[at >> 3] ?? 0) ^ (1 << (at & 7));
  return bytes.toString('latin1');
}

void kase('ENV-005', async (t) => {
  const body = sampleBody(70_000);
  const { metadata, sealed } = sealBody(sealParams(), body);
  const headers = metadataToHeaders(metadata);
  const names = Object.keys(headers);
  t.same(
    openMessage(openParams(), headers, sealed).body,
    body,
    'the unaltered metadata opens the body',
  );
  await checkProperty(
    t,
    fc.property(fc.constantFrom(...names), fc.boolean(), fc.nat(), (name, inName, bit) => {
      const value = headers[name] ?? '';
      const altered = new Map(Object.entries(headers));
      if (inName) {
        altered.delete(name);
        altered.set(flipBit(name, bit), value);
      } else {
        altered.set(name, flipBit(value, bit));
      }
      return REFUSALS.has(
        outcomeOf(() => openMessage(openParams(), Object.fromEntries(altered), sealed)),
      );
    }),
  );
});
