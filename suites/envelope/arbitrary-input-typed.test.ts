// ENV-020: whatever metadata and bytes reach the opener (mutated sealed messages, random
// bytes), it returns a body or throws an EnvelopeError, single-shot and streaming, never
// anything else. In: the envelope open fuzz target's inputs. Out: tap results.
import fc from 'fast-check';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';
import { isEnvelopeError, parseMetadata } from '../../relay/src/protocol/envelope';
import { createOpenStream } from '../../relay/src/protocol/envelope-stream';
import {
  chunked,
  envelopeOpenTarget,
  openParams,
  outcomeOf,
  runStream,
} from '../fuzz/targets/envelope';

void kase('ENV-020', async (t) => {
  await checkProperty(
    t,
    fc.property(envelopeOpenTarget.arbitrary, (input) => {
      outcomeOf(() => envelopeOpenTarget.run(input)); // rethrows anything untyped
      return true;
    }),
  );
  await checkProperty(
    t,
    fc.asyncProperty(
      envelopeOpenTarget.arbitrary,
      fc.integer({ min: 1, max: 70_000 }),
      async (input, chunk) => {
        let stream;
        try {
          stream = createOpenStream(openParams(), parseMetadata(input.headers));
        } catch (e) {
          return isEnvelopeError(e);
        }
        const run = await runStream(stream, chunked(input.body, [chunk]));
        return run.error === undefined || isEnvelopeError(run.error);
      },
    ),
  );
});
