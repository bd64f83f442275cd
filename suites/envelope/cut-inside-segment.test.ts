// ENV-007: a sealed body cut anywhere inside a segment is refused: ENV_E_TRUNCATED when too few
// bytes remain to hold a tag, else ENV_E_AUTH (a cut segment is indistinguishable from an
// altered one). In: generated sizes and cut positions. Out: tap results.
import fc from 'fast-check';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';
import { openBody, SEALED_SEGMENT_BYTES, sealBody } from '../../relay/src/protocol/envelope';
import { createOpenStream } from '../../relay/src/protocol/envelope-stream';
import { openParams, outcomeOf, runStream, sampleBody, sealParams } from '../fuzz/targets/envelope';

function expected(cut: number): string {
  return cut % SEALED_SEGMENT_BYTES < 16 ? 'ENV_E_TRUNCATED' : 'ENV_E_AUTH';
}

void kase('ENV-007', async (t) => {
  await checkProperty(
    t,
    fc.property(fc.integer({ min: 0, max: 200 * 1024 }), fc.nat(), (n, where) => {
      const { metadata, sealed } = sealBody(sealParams(), sampleBody(n, where));
      const cut = where % sealed.length;
      const outcome = outcomeOf(() => openBody(openParams(), metadata, sealed.subarray(0, cut)));
      return outcome === expected(cut);
    }),
  );
  const { metadata, sealed } = sealBody(sealParams(), sampleBody(150_000));
  for (const cut of [1, 15, 16, 17, 40_000, SEALED_SEGMENT_BYTES - 1, SEALED_SEGMENT_BYTES + 5]) {
    const run = await runStream(createOpenStream(openParams(), metadata), [
      sealed.subarray(0, cut),
    ]);
    t.equal(
      outcomeOf(() => {
        throw run.error;
      }),
      expected(cut),
      `the opening stream refuses a body cut to ${cut} bytes`,
    );
  }
});
