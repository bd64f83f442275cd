// ENV-003: a SealStream fed in any chunking produces exactly the bytes sealBody produces for the
// same randomness and clock, and an OpenStream fed in any chunking opens them. In: generated
// sizes and chunkings. Out: tap results.
import fc from 'fast-check';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';
import { openBody, sealBody } from '../../relay/src/protocol/envelope';
import { createOpenStream, createSealStream } from '../../relay/src/protocol/envelope-stream';
import {
  BOUNDARY_SIZES,
  chunked,
  counterRandom,
  fixedClock,
  openParams,
  runStream,
  sampleBody,
  sealParams,
} from '../fuzz/targets/envelope';

const size = fc.oneof(fc.integer({ min: 0, max: 200 * 1024 }), fc.constantFrom(...BOUNDARY_SIZES));
const chunking = fc.array(fc.integer({ min: 1, max: 140_000 }), { minLength: 1, maxLength: 4 });

/** At most ~200 chunks per body, so the property stays fast. */
function sizes(n: number, raw: readonly number[]): number[] {
  return raw.map((s) => Math.max(s, Math.ceil(n / 200)));
}

void kase('ENV-003', async (t) => {
  await checkProperty(
    t,
    fc.asyncProperty(size, fc.nat(), chunking, chunking, async (n, seed, inSizes, outSizes) => {
      const body = sampleBody(n, seed);
      const deps = () => ({ clock: fixedClock(), random: counterRandom(`p${String(seed)}`) });
      const single = sealBody(sealParams({ deps: deps() }), body);
      const { metadata, stream } = createSealStream(sealParams({ deps: deps() }));
      const sealed = await runStream(stream, chunked(body, sizes(n, inSizes)));
      if (sealed.error !== undefined || !sealed.output.equals(single.sealed)) return false;
      if (!metadata.salt.equals(single.metadata.salt) || metadata.ts !== single.metadata.ts) {
        return false;
      }
      const opened = await runStream(
        createOpenStream(openParams(), metadata),
        chunked(sealed.output, sizes(sealed.output.length, outSizes)),
      );
      return (
        opened.error === undefined &&
        opened.output.equals(body) &&
        openBody(openParams(), metadata, sealed.output).equals(body)
      );
    }),
  );
});
