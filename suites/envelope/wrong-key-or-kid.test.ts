// ENV-024: a body sealed under another K is refused with ENV_E_AUTH; metadata naming a kid the
// receiver does not hold is refused with ENV_E_KID; during a rotation the receiver picks the
// key by rc-kid and both keys open their own bodies. In: two keys. Out: tap results.
import { createHash } from 'node:crypto';
import { kase } from '../lib/case';
import {
  openBody,
  parseMetadata,
  metadataToHeaders,
  sealBody,
} from '../../relay/src/protocol/envelope';
import { FIXED_KEY, openParams, outcomeOf, sampleBody, sealParams } from '../fuzz/targets/envelope';

const NEXT_KEY = createHash('sha256').update('relaycheck env fixture K, next').digest();

void kase('ENV-024', (t) => {
  const body = sampleBody(80_000);
  const { metadata, sealed } = sealBody(sealParams(), body);
  t.equal(
    outcomeOf(() => openBody(openParams({ key: NEXT_KEY }), metadata, sealed)),
    'ENV_E_AUTH',
    'a body opened with another K under the same kid is refused',
  );
  t.equal(
    outcomeOf(() => openBody(openParams({ kid: 'k-2026' }), metadata, sealed)),
    'ENV_E_KID',
    'a body sealed under a kid the receiver does not hold is refused',
  );

  const ring = new Map([
    ['k-2025', FIXED_KEY],
    ['k-2026', NEXT_KEY],
  ]);
  const next = sealBody(sealParams({ kid: 'k-2026', key: NEXT_KEY }), body);
  for (const message of [{ metadata, sealed }, next]) {
    const parsed = parseMetadata(metadataToHeaders(message.metadata));
    const kid = parsed?.kid ?? '';
    const key = ring.get(kid) ?? Buffer.alloc(32);
    t.ok(
      openBody(openParams({ kid, key }), parsed, message.sealed).equals(body),
      `during a rotation a body sealed under ${kid} opens with the key it names`,
    );
  }
  t.end();
});
