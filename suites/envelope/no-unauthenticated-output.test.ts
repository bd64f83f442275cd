// ENV-023: when segment k of a sealed body is altered, the opening stream emits exactly the
// plaintext of segments 0..k-1 (each verified) and then fails with ENV_E_AUTH: no byte of an
// unverified segment ever reaches the reader. In: generated sizes, positions and chunkings.
// Out: tap results.
import fc from 'fast-check';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';
import {
  isEnvelopeError,
  SEALED_SEGMENT_BYTES,
  SEGMENT_BYTES,
  sealBody,
} from '../../relay/src/protocol/envelope';
import { createOpenStream } from '../../relay/src/protocol/envelope-stream';
import { chunked, openParams, runStream, sampleBody, sealParams } from '../fuzz/targets/envelope';

void kase('ENV-023', async (t) => {
  await checkProperty(
    t,
    fc.asyncProperty(
      fc.integer({ min: 1, max: 3 * SEGMENT_BYTES + 100 }),
      fc.nat(),
      fc.integer({ min: 1000, max: 100_000 }),
      async (n, where, chunk) => {
        const body = sampleBody(n, where);
        const { metadata, sealed } = sealBody(sealParams(), body);
        const at = where % sealed.length;
        const altered = Buffer.from(sealed);
        altered[at] = (altered[at] ?? 0) ^ 0x80;
        const k = Math.floor(at / SEALED_SEGMENT_BYTES);
        const run = await runStream(
          createOpenStream(openParams(), metadata),
          chunked(altered, [chunk]),
        );
        return (
          isEnvelopeError(run.error, 'ENV_E_AUTH') &&
          run.output.equals(body.subarray(0, k * SEGMENT_BYTES))
        );
      },
    ),
  );
});
