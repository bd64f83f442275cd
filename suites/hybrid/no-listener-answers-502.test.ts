// HC-006: no listener connected → 502. In: requests to a hybrid connection nobody listens on
// (OUR listener serves another one), then to one whose only listener has just closed. Out: the
// endpoint answers 502 itself (SIM_E_HC_NO_LISTENER, no Via: it is not the listener's answer),
// sim:hc:bad-gateway says so, and no listener ever sees those requests.
import { kase } from '../lib/case';
import { backEnd } from './lib/backend';
import { RELAY_CHANNELS, SIM_CHANNELS, startHarness } from './lib/hc';

void kase('HC-006', async (t) => {
  const h = await startHarness(t);
  const office = backEnd();
  await h.listen({ handler: office.handler, path: 'tax' });

  const answer = await h.send('hyco/echo', { method: 'POST', body: 'anyone there?' });
  t.equal(answer.status, 502, 'nobody listens on hyco: 502');
  t.equal(answer.headers.via, undefined, 'the service’s own answer carries no Via');
  t.match(answer.body.toString(), /SIM_E_HC_NO_LISTENER/);
  t.match(h.events.of(SIM_CHANNELS.badGateway), [
    { path: 'hyco', code: 'SIM_E_HC_NO_LISTENER', status: 502 },
  ]);

  // A listener that connects and then leaves: afterwards 502 again.
  const leaving = await h.listen({ handler: office.handler });
  t.equal((await h.send('hyco/echo')).status, 200, 'while it listens, hyco is served');
  await h.stop(leaving);
  await h.events.until(SIM_CHANNELS.listenerClosed, (e) => e.path === 'hyco');
  h.events.clear();
  const after = await h.send('hyco/echo', { method: 'POST', body: 'gone?' });
  t.equal(after.status, 502, 'after it closed: 502');
  t.match(h.events.of(SIM_CHANNELS.badGateway), [{ code: 'SIM_E_HC_NO_LISTENER' }]);
  t.same(h.events.of(RELAY_CHANNELS.requestReceived), [], 'no listener saw the request');
  t.same(
    office.served.map((s) => s.target),
    ['/hyco/echo'],
    'the back end saw only the request made while a listener was connected',
  );
  t.equal((await h.send('tax/echo')).status, 200, 'the other hybrid connection still works');
});
