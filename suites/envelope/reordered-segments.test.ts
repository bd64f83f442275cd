// ENV-008: swapping or rotating the segments of a sealed body is refused with ENV_E_AUTH,
// single-shot and streaming. In: a five-segment and a three-full-segment body. Out: tap results.
import { kase } from '../lib/case';
import { openBody, SEGMENT_BYTES, sealBody } from '../../relay/src/protocol/envelope';
import { createOpenStream } from '../../relay/src/protocol/envelope-stream';
import {
  openParams,
  outcomeOf,
  runStream,
  sampleBody,
  sealedSegments as segments,
  sealParams,
} from '../fuzz/targets/envelope';

void kase('ENV-008', async (t) => {
  for (const n of [4 * SEGMENT_BYTES + 1000, 3 * SEGMENT_BYTES]) {
    const { metadata, sealed } = sealBody(sealParams(), sampleBody(n));
    const s = segments(sealed);
    const ids = [...s.keys()];
    const swap = (x: number, y: number) => ids.map((i) => (i === x ? y : i === y ? x : i));
    const orders: [string, number[]][] = [
      ['segments 0 and 1 swapped', swap(0, 1)],
      ['the last two segments swapped', swap(s.length - 2, s.length - 1)],
      ['the segments rotated by one', [...ids.slice(1), 0]],
      ['the segments reversed', [...ids].reverse()],
    ];
    for (const [label, order] of orders) {
      const reordered = Buffer.concat(order.map((i) => s[i] ?? Buffer.alloc(0)));
      t.equal(
        outcomeOf(() => openBody(openParams(), metadata, reordered)),
        'ENV_E_AUTH',
        `a ${n}-byte body with ${label} is refused`,
      );
      const run = await runStream(createOpenStream(openParams(), metadata), [reordered]);
      t.equal(
        outcomeOf(() => {
          throw run.error;
        }),
        'ENV_E_AUTH',
        `the opening stream refuses a ${n}-byte body with ${label}`,
      );
    }
  }
});
