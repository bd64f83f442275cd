// ENV-009: a sealed body with a segment repeated or an inner segment dropped is refused,
// single-shot and streaming: ENV_E_AUTH, or ENV_E_TRAILING when a complete final segment
// is repeated at the end. In: multi-segment bodies. Out: tap results.
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

void kase('ENV-009', async (t) => {
  const cases: [string, number, (s: Buffer[]) => Buffer[], string][] = [
    ['segment 0 repeated', 3 * SEGMENT_BYTES + 9, (s) => [s[0], ...s].filter(isBuf), 'ENV_E_AUTH'],
    [
      'segment 1 repeated',
      3 * SEGMENT_BYTES + 9,
      (s) => [s[0], s[1], ...s.slice(1)].filter(isBuf),
      'ENV_E_AUTH',
    ],
    [
      'segment 1 dropped',
      3 * SEGMENT_BYTES + 9,
      (s) => [s[0], ...s.slice(2)].filter(isBuf),
      'ENV_E_AUTH',
    ],
    ['segment 0 dropped', 2 * SEGMENT_BYTES, (s) => s.slice(1), 'ENV_E_AUTH'],
    [
      'the full final segment repeated',
      2 * SEGMENT_BYTES,
      (s) => [...s, s[1]].filter(isBuf),
      'ENV_E_TRAILING',
    ],
    [
      'the short final segment repeated',
      2 * SEGMENT_BYTES + 9,
      (s) => [...s, s[2]].filter(isBuf),
      'ENV_E_AUTH',
    ],
  ];
  for (const [label, n, edit, code] of cases) {
    const { metadata, sealed } = sealBody(sealParams(), sampleBody(n));
    const edited = Buffer.concat(edit(segments(sealed)));
    t.equal(
      outcomeOf(() => openBody(openParams(), metadata, edited)),
      code,
      `a ${n}-byte body with ${label} is refused with ${code}`,
    );
    const run = await runStream(createOpenStream(openParams(), metadata), [edited]);
    t.equal(
      outcomeOf(() => {
        throw run.error;
      }),
      code,
      `the opening stream refuses a ${n}-byte body with ${label} with ${code}`,
    );
  }
});

function isBuf(b: Buffer | undefined): b is Buffer {
  return b !== undefined;
}
