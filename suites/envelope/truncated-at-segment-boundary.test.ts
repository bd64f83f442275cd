// ENV-006: a sealed body cut at any segment boundary (the last segment, or more, dropped; or
// everything dropped) is refused with ENV_E_TRUNCATED, single-shot and streaming.
// In: bodies of boundary sizes. Out: tap results.
import { kase } from '../lib/case';
import {
  openBody,
  SEALED_SEGMENT_BYTES,
  SEGMENT_BYTES,
  sealBody,
} from '../../relay/src/protocol/envelope';
import { createOpenStream } from '../../relay/src/protocol/envelope-stream';
import {
  BOUNDARY_SIZES,
  openParams,
  outcomeOf,
  runStream,
  sampleBody,
  sealParams,
} from '../fuzz/targets/envelope';

void kase('ENV-006', async (t) => {
  for (const n of BOUNDARY_SIZES) {
    const { metadata, sealed } = sealBody(sealParams(), sampleBody(n));
    for (let cut = 0; cut < sealed.length; cut += SEALED_SEGMENT_BYTES) {
      const short = sealed.subarray(0, cut);
      t.equal(
        outcomeOf(() => openBody(openParams(), metadata, short)),
        'ENV_E_TRUNCATED',
        `a ${n}-byte body cut to ${cut} sealed bytes is refused as truncated`,
      );
      const streamed = await runStream(createOpenStream(openParams(), metadata), [short]);
      t.equal(
        outcomeOf(() => {
          throw streamed.error;
        }),
        'ENV_E_TRUNCATED',
        `the opening stream refuses the same cut as truncated`,
      );
      // The segment before the cut is held back until the end shows it is the last; it then
      // fails as a final segment, so only the segments before it were emitted.
      const verified = Math.max(0, cut / SEALED_SEGMENT_BYTES - 1) * SEGMENT_BYTES;
      t.equal(streamed.output.length, verified, 'only verified segments came out');
    }
  }
});
