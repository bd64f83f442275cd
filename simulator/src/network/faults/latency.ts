// The latency fault. In: the bytes of one direction. Out: the same bytes, each chunk held
// latencyMs ± jitterMs (uniform, from the stage's seeded stream) after it arrived, in order:
// a chunk never overtakes the one before it. The end of the stream follows the last byte.
import { z } from 'zod';
import { PacedQueue, type FaultKind } from './core';

const attributes = z.strictObject({
  latencyMs: z.int().min(0).max(600_000),
  jitterMs: z.int().min(0).max(600_000).default(0),
});

export const latency: FaultKind<z.infer<typeof attributes>> = {
  type: 'latency',
  scope: 'connection',
  summary: 'delays every chunk by latencyMs ± jitterMs',
  attributes,
  create(a, ctx) {
    const queue = new PacedQueue(ctx);
    return {
      write(chunk) {
        const jitter = a.jitterMs === 0 ? 0 : Math.round((ctx.random.next() * 2 - 1) * a.jitterMs);
        queue.at(chunk, ctx.scheduler.now() + Math.max(0, a.latencyMs + jitter));
      },
      end: () => {
        queue.end();
      },
      remove: () => {
        queue.flush();
      },
      destroy: () => {
        queue.destroy();
      },
    };
  },
};
