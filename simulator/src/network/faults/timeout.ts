// The timeout fault (a blackhole). In: the bytes and the end of one direction. Out: nothing:
// everything is held (so back-pressure soon stops the sender), and after timeoutMs the whole
// connection is closed; timeoutMs 0 never closes. Removing the fault releases what it held.
import { z } from 'zod';
import type { TimerHandle } from '../scheduler';
import type { FaultKind } from './core';

const attributes = z.strictObject({ timeoutMs: z.int().min(0).max(3_600_000).default(0) });

export const timeout: FaultKind<z.infer<typeof attributes>> = {
  type: 'timeout',
  scope: 'connection',
  summary: 'stops all data; closes the connection after timeoutMs (0: never)',
  attributes,
  create(a, ctx) {
    const held: (Buffer | null)[] = [];
    let timer: TimerHandle | undefined =
      a.timeoutMs > 0
        ? ctx.scheduler.schedule(a.timeoutMs, () => {
            timer = undefined;
            ctx.note('close', { afterMs: a.timeoutMs });
            ctx.close('timeout');
          })
        : undefined;
    return {
      write: (chunk) => {
        held.push(chunk);
      },
      end: () => {
        held.push(null);
      },
      remove: () => {
        timer?.cancel();
        timer = undefined;
        for (const item of held.splice(0)) {
          if (item === null) ctx.end();
          else ctx.forward(item);
        }
      },
      destroy: () => {
        timer?.cancel();
        timer = undefined;
        held.length = 0;
      },
    };
  },
};
