// The bandwidth fault. In: the bytes of one direction. Out: the same bytes at no more than
// rateKBps kilobytes (1 KB = 1000 bytes, as Toxiproxy) per second: each chunk is cut into
// pieces of at most 100 ms worth of bytes, and each piece waits its own share of time
// (bytes / rate ms, carried so that rounding never drifts) before it leaves.
import { z } from 'zod';
import { PacedQueue, type FaultKind } from './core';

const attributes = z.strictObject({ rateKBps: z.int().min(1).max(10_000_000) });

export const bandwidth: FaultKind<z.infer<typeof attributes>> = {
  type: 'bandwidth',
  scope: 'connection',
  summary: 'limits throughput to rateKBps (1 KB = 1000 bytes)',
  attributes,
  create(a, ctx) {
    const queue = new PacedQueue(ctx);
    const bytesPerMs = a.rateKBps; // rate KB/s = rate × 1000 B / 1000 ms
    const piece = Math.max(1, bytesPerMs * 100);
    let sent = 0; // bytes planned so far
    return {
      write(chunk) {
        for (let off = 0; off < chunk.length; off += piece) {
          const part = chunk.subarray(off, Math.min(chunk.length, off + piece));
          const before = Math.floor(sent / bytesPerMs);
          sent += part.length;
          queue.pace(part, Math.floor(sent / bytesPerMs) - before);
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
