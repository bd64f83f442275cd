// HC-015: OUR listener refuses an oversized request (413) and never hands it on. In: a
// listener with maxRequestBytes 1,000 and request bodies of 2,000 bytes on the control
// channel, 100 KiB by rendezvous, 5,000 bytes chunked, and 300 KiB chunked (over the
// rendezvous socket's own message bound, max(maxRequestBytes, 192 KiB)). Out: the first three
// are answered 413 RELAY_E_HC_TOO_LARGE when their body message is whole (the service strips
// Content-Length with the other RFC 7230 headers, so the listener learns the size only from
// the body); the fourth is cut off by the WebSocket layer (close 1009) before it is whole,
// reported as RELAY_E_HC_TOO_LARGE, and the service answers the sender 502 — no 413 can go on
// a socket already closed (the documented limit of the `ws` transport). The back end never
// sees any of them; the listener keeps serving, a chunked body under the limit included.
import { Readable } from 'node:stream';
import { kase } from '../lib/case';
import { backEnd } from './lib/backend';
import { KIB, RELAY_CHANNELS, SIM_CHANNELS, startHarness } from './lib/hc';

function chunked(size: number): Readable {
  const chunk = Buffer.alloc(16 * KIB, 0x41);
  let left = size;
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, chunk.length);
      left -= n;
      this.push(chunk.subarray(0, n));
    },
  });
}

void kase('HC-015', async (t) => {
  const h = await startHarness(t);
  const office = backEnd();
  await h.listen({ handler: office.handler, config: { maxRequestBytes: 1_000 } });

  const refusedCases = [
    { what: '2,000 bytes on the control channel', body: Buffer.alloc(2_000, 1), mode: 'control' },
    { what: '100 KiB by rendezvous', body: Buffer.alloc(100 * KIB, 2), mode: 'rendezvous' },
    { what: '5,000 bytes chunked', body: chunked(5_000), mode: 'rendezvous' },
  ] as const;
  for (const c of refusedCases) {
    h.events.clear();
    const answer = await h.send('hyco/echo', { method: 'POST', body: c.body });
    t.equal(answer.status, 413, `${c.what}: 413`);
    t.match(answer.json(), { code: 'RELAY_E_HC_TOO_LARGE' }, `${c.what}: the typed code`);
    t.match(
      h.events.of(RELAY_CHANNELS.responseSent),
      [{ status: 413, mode: c.mode }],
      `${c.what}: answered by ${c.mode}`,
    );
    t.match(h.events.of(SIM_CHANNELS.response), [{ status: 413 }]);
  }
  t.equal(office.served.length, 0, 'the back end saw none of them');

  // Over the socket's message bound: cut by ws before it is whole.
  h.events.clear();
  const cut = await h.send('hyco/echo', { method: 'POST', body: chunked(300 * KIB) });
  t.equal(cut.status, 502, '300 KiB chunked: the service answers 502 for the dropped socket');
  t.match(await h.events.until(RELAY_CHANNELS.fault, (e) => e.code === 'RELAY_E_HC_TOO_LARGE'), {
    code: 'RELAY_E_HC_TOO_LARGE',
  });
  t.match(
    await h.events.until(RELAY_CHANNELS.rendezvous, (e) => e.event === 'closed'),
    { code: 1009 },
    'the listener closed that rendezvous with 1009',
  );
  t.equal(office.served.length, 0, 'the back end still saw none');

  // The listener keeps serving.
  t.same(h.events.of(RELAY_CHANNELS.closed), [], 'the control channel stayed up');
  const fine = await h.send('hyco/echo', { method: 'POST', body: chunked(900) });
  t.equal(fine.status, 200, 'a chunked body under the limit is served');
  t.match(fine.json(), { size: 900, mode: 'rendezvous' });
  t.equal((await h.send('hyco/echo', { method: 'POST', body: 'ok' })).status, 200);
});
