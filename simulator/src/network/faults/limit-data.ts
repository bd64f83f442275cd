// The limit_data fault. In: the bytes of one direction. Out: exactly the first `bytes` bytes,
// then the end of the stream (FIN), after which the whole connection is closed; bytes past
// the limit are discarded. As Toxiproxy, the limit is counted per connection and direction.
import { z } from 'zod';
import type { FaultKind } from './core';

const attributes = z.strictObject({ bytes: z.int().min(0).max(Number.MAX_SAFE_INTEGER) });

export const limitData: FaultKind<z.infer<typeof attributes>> = {
  type: 'limit_data',
  scope: 'connection',
  summary: 'closes the connection after exactly `bytes` bytes',
  attributes,
  create(a, ctx) {
    let remaining = a.bytes;
    let done = false;
    return {
      write(chunk) {
        if (done) {
          ctx.discard(chunk.length);
          return;
        }
        const pass = Math.min(remaining, chunk.length);
        if (pass > 0) ctx.forward(pass === chunk.length ? chunk : chunk.subarray(0, pass));
        if (pass < chunk.length) ctx.discard(chunk.length - pass);
        remaining -= pass;
        if (remaining === 0) {
          done = true;
          ctx.note('limit-reached', { bytes: a.bytes });
          ctx.finish('limit_data');
        }
      },
      end: () => {
        if (!done) ctx.end();
      },
      remove: () => undefined,
      destroy: () => undefined,
    };
  },
};
