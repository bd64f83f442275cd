// The slicer fault. In: the bytes of one direction. Out: the same bytes cut into pieces of
// about averageSize ± sizeVariation bytes (halving recursively at a point varied by the
// stage's seeded stream, as Toxiproxy does), delayMs apart: a peer sees many small reads.
import { z } from 'zod';
import type { Prng } from '../prng';
import { PacedQueue, type FaultKind } from './core';

const attributes = z
  .strictObject({
    averageSize: z
      .int()
      .min(1)
      .max(16 * 1024 * 1024),
    sizeVariation: z
      .int()
      .min(0)
      .max(16 * 1024 * 1024)
      .default(0),
    delayMs: z.int().min(0).max(60_000).default(0),
  })
  .refine((a) => a.sizeVariation < a.averageSize, {
    message: 'sizeVariation must be smaller than averageSize',
    path: ['sizeVariation'],
  });

/** Cut points [start, end) pairs covering [0, size), in order. Pure given the stream. */
export function slicePoints(
  size: number,
  averageSize: number,
  sizeVariation: number,
  random: Prng,
): [number, number][] {
  const out: [number, number][] = [];
  const stack: [number, number][] = [[0, size]];
  // Depth-first, right half pushed first so pieces come out in order. Each split leaves
  // two non-empty halves (sizeVariation < averageSize), so this ends after < size rounds.
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [start, end] = top;
    if (end - start - averageSize <= sizeVariation) {
      if (end > start) out.push([start, end]);
      continue;
    }
    const offset = sizeVariation > 0 ? random.int(2 * sizeVariation) - sizeVariation : 0;
    const mid = start + Math.floor((end - start) / 2) + offset;
    stack.push([mid, end], [start, mid]);
  }
  return out;
}

export const slicer: FaultKind<z.infer<typeof attributes>> = {
  type: 'slicer',
  scope: 'connection',
  summary: 'cuts data into pieces of averageSize ± sizeVariation bytes, delayMs apart',
  attributes,
  create(a, ctx) {
    const queue = new PacedQueue(ctx);
    let first = true;
    return {
      write(chunk) {
        for (const [from, to] of slicePoints(
          chunk.length,
          a.averageSize,
          a.sizeVariation,
          ctx.random,
        )) {
          queue.pace(chunk.subarray(from, to), first ? 0 : a.delayMs);
          first = false;
        }
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
