// ENV-016: a message whose rc-ts is further ahead of the receiver's clock than the skew window
// is refused with ENV_E_STALE; at exactly the window it is accepted; a configured window is
// honoured. In: a fixed clock moved back. Out: tap results.
import { kase } from '../lib/case';
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

void kase('ENV-016', (t) => {
  const body = sampleBody(1000);
  const { metadata, sealed } = sealBody(sealParams(), body);
  const at = (now: number, skewMs?: number) =>
    openParams({ deps: { clock: fixedClock(now) } }, skewMs === undefined ? {} : { skewMs });

  t.same(
    openBody(at(FIXED_NOW - DEFAULT_SKEW_MS), metadata, sealed),
    body,
    'a body sealed exactly 120 s ahead of the receiver opens',
  );
  t.equal(
    outcomeOf(() => openBody(at(FIXED_NOW - DEFAULT_SKEW_MS - 1), metadata, sealed)),
    'ENV_E_STALE',
    'a body sealed more than 120 s ahead is refused as stale',
  );
  t.equal(
    outcomeOf(() => createOpenStream(at(FIXED_NOW - DEFAULT_SKEW_MS - 1), metadata)),
    'ENV_E_STALE',
    'the streaming opener refuses it too',
  );
  t.equal(
    outcomeOf(() => openBody(at(FIXED_NOW - 5_001, 5_000), metadata, sealed)),
    'ENV_E_STALE',
    'a narrower configured window is honoured',
  );
  t.end();
});
