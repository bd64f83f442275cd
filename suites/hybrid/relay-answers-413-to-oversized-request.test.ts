// HC-015: OUR listener refuses an oversized request (413) and never hands it on. In: a
// listener with maxRequestBytes 1,000 and request bodies of 2,000 bytes on the control
// channel, 100 KiB by rendezvous, 5,000 bytes chunked, and 4 MiB chunked. Out: every one is
// answered 413 RELAY_E_HC_TOO_LARGE. The service strips Content-Length with the other RFC 7230
// headers, so the listener learns the size from the body: on the control channel when its one
// message is whole, by rendezvous as the body streams in — the 413 goes out as soon as the
// count passes the limit and the rendezvous socket is closed (1009) without reading the rest.
// The back end never gets a whole body: a handler already started sees its body stream fail.
// The listener keeps serving, a chunked body under the limit included.
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
    { what: '4 MiB chunked', body: chunked(4 * 1024 * KIB), mode: 'rendezvous' },
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

  // The 4 MiB body: the count stopped at the piece that crossed the limit; the rest is not read.
  const read = h.events.of(RELAY_CHANNELS.requestReceived);
  t.equal(read.length, 1, 'the 4 MiB request was seen once');
  t.ok(
    Number(read[0]?.size) <= 1_000 + 64 * KIB,
    `the listener read ${String(read[0]?.size)} bytes of 4 MiB, no further than one piece past the limit`,
  );
  t.match(
    await h.events.until(RELAY_CHANNELS.rendezvous, (e) => e.event === 'closed'),
    { code: 1009 },
    'the listener closed the last rendezvous with 1009',
  );

  // The listener keeps serving.
  t.same(h.events.of(RELAY_CHANNELS.closed), [], 'the control channel stayed up');
  const fine = await h.send('hyco/echo', { method: 'POST', body: chunked(900) });
  t.equal(fine.status, 200, 'a chunked body under the limit is served');
  t.match(fine.json(), { size: 900, mode: 'rendezvous' });
  t.equal((await h.send('hyco/echo', { method: 'POST', body: 'ok' })).status, 200);
});
