// The reset_peer fault. In: the bytes of one direction. Out: when the first chunk arrives,
// nothing more passes; timeoutMs later (at once for 0) the whole connection is reset: both
// sockets send a TCP RST, so the peer reads ECONNRESET. As Toxiproxy, the clock starts at
// the first byte in the fault's direction, not when the connection opens.
import { z } from 'zod';
import type { TimerHandle } from '../scheduler';
import type { FaultKind } from './core';

const attributes = z.strictObject({ timeoutMs: z.int().min(0).max(3_600_000).default(0) });

export const resetPeer: FaultKind<z.infer<typeof attributes>> = {
  type: 'reset_peer',
  scope: 'connection',
  summary: 'resets the connection (TCP RST) timeoutMs after the first byte',
  attributes,
  create(a, ctx) {
    const held: (Buffer | null)[] = [];
    let triggered = false;
    let timer: TimerHandle | undefined;
    const fire = (): void => {
      timer = undefined;
      ctx.note('reset', { afterMs: a.timeoutMs });
      ctx.reset('reset_peer');
    };
    return {
      write: (chunk) => {
        held.push(chunk);
        if (triggered) return;
        triggered = true;
        if (a.timeoutMs === 0) fire();
        else timer = ctx.scheduler.schedule(a.timeoutMs, fire);
      },
      end: () => {
        if (triggered) held.push(null);
        else ctx.end();
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
