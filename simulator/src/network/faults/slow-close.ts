// The slow_close fault. In: the bytes and the end of one direction. Out: the bytes at once;
// the end (the FIN) only delayMs after it arrived, so the peer sees the close late.
import { z } from 'zod';
import type { TimerHandle } from '../scheduler';
import type { FaultKind } from './core';

const attributes = z.strictObject({ delayMs: z.int().min(0).max(600_000) });

export const slowClose: FaultKind<z.infer<typeof attributes>> = {
  type: 'slow_close',
  scope: 'connection',
  summary: 'delays the close (FIN) by delayMs',
  attributes,
  create(a, ctx) {
    let timer: TimerHandle | undefined;
    return {
      write: (chunk) => {
        ctx.forward(chunk);
      },
      end: () => {
        ctx.note('delay-close', { delayMs: a.delayMs });
        timer = ctx.scheduler.schedule(a.delayMs, () => {
          timer = undefined;
          ctx.end();
        });
      },
      remove: () => {
        if (timer !== undefined) {
          timer.cancel();
          timer = undefined;
          ctx.end();
        }
      },
      destroy: () => {
        timer?.cancel();
        timer = undefined;
      },
    };
  },
};
