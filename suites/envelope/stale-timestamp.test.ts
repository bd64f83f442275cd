// ENV-015: a message whose rc-ts is older than the entity TTL plus the 120 s skew window is
// refused with ENV_E_STALE, by both the single-shot and the streaming opener; at exactly the
// limit it is accepted. In: a fixed clock moved forward. Out: tap results.
import fc from 'fast-check';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';
import { DEFAULT_SKEW_MS, openBody, sealBody } from '../../relay/src/protocol/envelope';
import { createOpenStream } from '../../relay/src/protocol/envelope-stream';
import {
  FIXED_NOW,
  fixedClock,
  openParams,
  outcomeOf,
  sampleBody,
  sealParams,
} from '../fuzz/targets/envelope';

void kase('ENV-015', async (t) => {
  const body = sampleBody(1000);
  const { metadata, sealed } = sealBody(sealParams(), body);
  const at = (now: number, ttlMs: number) =>
    openParams({ deps: { clock: fixedClock(now) } }, { ttlMs });

  t.equal(DEFAULT_SKEW_MS, 120_000, 'the skew window is 120 s');
  const limit = FIXED_NOW + 3_600_000 + DEFAULT_SKEW_MS;
  t.same(
    openBody(at(limit, 3_600_000), metadata, sealed),
    body,
    'a body exactly at the limit opens',
  );
  t.equal(
    outcomeOf(() => openBody(at(limit + 1, 3_600_000), metadata, sealed)),
    'ENV_E_STALE',
    'a body one millisecond past the limit is refused as stale',
  );
  t.equal(
    outcomeOf(() => createOpenStream(at(limit + 1, 3_600_000), metadata)),
    'ENV_E_STALE',
    'the streaming opener refuses it before reading the body',
  );
  t.same(
    openBody(at(FIXED_NOW + 10 * 365 * 86_400_000, Infinity), metadata, sealed),
    body,
    'an entity without a time-to-live never makes a body stale by age',
  );
  await checkProperty(
    t,
    fc.property(
      fc.integer({ min: 0, max: 86_400_000 }),
      fc.nat({ max: 86_400_000 }),
      (ttl, age) => {
        const outcome = outcomeOf(() => openBody(at(FIXED_NOW + age, ttl), metadata, sealed));
        return outcome === (age > ttl + DEFAULT_SKEW_MS ? 'ENV_E_STALE' : 'ok');
      },
    ),
  );
});
