// HC-014: hostile peers get the protocol's answer and the endpoint stays up. In: while OUR
// listener serves `hyco`, hostile listeners on `tax` send text that is not JSON, a binary
// frame where JSON belongs and a message over 64 KiB; a sender sends 70 KiB of headers; a
// listener comes to a rendezvous address after it expired (the simulator's clock is manual:
// no waiting); 1,000 listener handshakes flood `tax`. Out: closes 1008, 1008 and 1009; 431;
// the late sender 504 and the late listener 403 ("expired"); 25 listeners accepted and 975
// refused 403 (QuotaExceeded) — and afterwards OUR listener, never disconnected, still serves,
// and a new listener on the flooded path connects and serves.
import { HandshakeRefused, ManualScheduler, TestListener } from '../../simulator/src/cloud/hybrid';
import { kase } from '../lib/case';
import { backEnd } from './lib/backend';
import { KIB, RELAY_CHANNELS, SIM_CHANNELS, startHarness } from './lib/hc';

void kase('HC-014', async (t) => {
  const clock = new ManualScheduler();
  const h = await startHarness(t, { clock });
  const office = backEnd();
  await h.listen({ handler: office.handler });
  const hostile: TestListener[] = [];
  t.teardown(() => Promise.all(hostile.map((l) => l.close())));
  const connectTax = async (): Promise<TestListener> => {
    const l = await TestListener.connect(h.sim.listenerUrl('tax', 'plain'), h.sim.token('tax'));
    hostile.push(l);
    return l;
  };

  // Malformed control frames.
  const notJson = await connectTax();
  notJson.ws.send('{"response": this is not JSON');
  t.equal((await notJson.closed).code, 1008, 'text that is not JSON: closed with 1008');
  const binary = await connectTax();
  binary.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  t.equal((await binary.closed).code, 1008, 'a binary frame where JSON belongs: 1008');
  const huge = await connectTax();
  huge.ws.send(JSON.stringify({ response: { requestId: 'x', pad: 'x'.repeat(70 * KIB) } }));
  t.equal((await huge.closed).code, 1009, 'a message over 64 KiB: 1009');
  t.match(
    h.events.of(SIM_CHANNELS.protocolError).map((e) => e.code),
    ['SIM_E_HC_FRAME', 'SIM_E_HC_FRAME', 'SIM_E_HC_FRAME_TOO_LARGE'],
  );

  // An oversized sender header.
  const big = await h.send('hyco/echo', { headers: { 'X-Padding': 'p'.repeat(70 * KIB) } });
  t.equal(big.status, 431, '70 KiB of headers: 431');
  t.match(big.body.toString(), /SIM_E_HC_HEADERS_TOO_LARGE/);

  // A rendezvous address used after it expired.
  const late = await connectTax();
  const waiting = h.send('tax/upload', { method: 'POST', body: Buffer.alloc(70 * KIB, 1) });
  const notice = await late.nextJson('request');
  t.same(Object.keys(notice).sort(), ['address', 'id'], 'a rendezvous notice');
  clock.advance(30_000);
  const timedOut = await waiting;
  t.equal(timedOut.status, 504, 'the sender gets 504 when nobody came in 30 s');
  let refused: unknown;
  try {
    await TestListener.rendezvous(String(notice.address));
  } catch (e) {
    refused = e;
  }
  t.equal(refused instanceof HandshakeRefused ? refused.status : undefined, 403);
  t.match(refused instanceof HandshakeRefused ? refused.statusMessage : '', /expired/i);
  await late.close();

  // A flood of 1,000 listeners on one path, 50 handshakes in flight at a time.
  const url = h.sim.listenerUrl('tax', 'plain');
  const token = h.sim.token('tax');
  const statuses = new Map<number, number>();
  let started = 0;
  const flooder = async (): Promise<void> => {
    while (started < 1000) {
      started += 1;
      try {
        hostile.push(await TestListener.connect(url, token));
      } catch (e) {
        const status = e instanceof HandshakeRefused ? e.status : -1;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: 50 }, flooder));
  t.equal(h.sim.endpoint.listeners({ path: 'tax' }).length, 25, '25 listeners accepted');
  t.same([...statuses], [[403, 975]], 'the other 975 refused with 403');
  t.equal(
    h.events.of(SIM_CHANNELS.listenerRefused, (e) => e.code === 'SIM_E_HC_LISTENER_LIMIT').length,
    975,
  );
  await Promise.all(hostile.splice(0).map((l) => l.close()));

  // The endpoint is still up: OUR listener was never disconnected and serves.
  t.same(h.events.of(RELAY_CHANNELS.closed), [], 'OUR listener was never disconnected');
  const ok = await h.send('hyco/echo', { method: 'POST', body: 'after the storm' });
  t.equal(ok.status, 200, 'a normal request is served afterwards');
  t.match(ok.json(), { size: 15 });
  await h.listen({ handler: backEnd('tax-office').handler, path: 'tax' });
  const tax = await h.send('tax/echo');
  t.equal(tax.headers['x-served-by'], 'tax-office', 'a new listener on the flooded path serves');
});
