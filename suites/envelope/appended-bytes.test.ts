// ENV-010: bytes appended to a sealed body are refused: ENV_E_TRAILING when a complete final
// segment is followed by them, ENV_E_AUTH when they land inside the final segment's framing.
// In: generated sizes and appended bytes. Out: tap results.
import fc from 'fast-check';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';
import { openBody, SEGMENT_BYTES, sealBody } from '../../relay/src/protocol/envelope';
import { createOpenStream } from '../../relay/src/protocol/envelope-stream';
import { openParams, outcomeOf, runStream, sampleBody, sealParams } from '../fuzz/targets/envelope';

void kase('ENV-010', async (t) => {
  await checkProperty(
    t,
    fc.property(
      fc.integer({ min: 0, max: 200 * 1024 }),
      fc.uint8Array({ minLength: 1, maxLength: 100 }),
      (n, extra) => {
        const { metadata, sealed } = sealBody(sealParams(), sampleBody(n));
        const outcome = outcomeOf(() =>
          openBody(openParams(), metadata, Buffer.concat([sealed, extra])),
        );
        const finalIsFull = n > 0 && n % SEGMENT_BYTES === 0;
        return outcome === (finalIsFull ? 'ENV_E_TRAILING' : 'ENV_E_AUTH');
      },
    ),
  );
  for (const [n, code] of [
    [2 * SEGMENT_BYTES, 'ENV_E_TRAILING'],
    [100, 'ENV_E_AUTH'],
    [0, 'ENV_E_AUTH'],
  ] as const) {
    const { metadata, sealed } = sealBody(sealParams(), sampleBody(n));
    const run = await runStream(createOpenStream(openParams(), metadata), [
      sealed,
      Buffer.from('x'),
    ]);
    t.equal(
      outcomeOf(() => {
        throw run.error;
      }),
      code,
      `the opening stream refuses one byte appended to a ${n}-byte body with ${code}`,
    );
  }
});
