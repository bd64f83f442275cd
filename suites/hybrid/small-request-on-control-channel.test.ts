// HC-002: a small request travels on the control channel and is answered there. In: a POST
// with a 5-byte body, a query string and a custom header from a sender with a Send token.
// Out: OUR listener gets it on its control channel (request frame + one body message), the
// back end sees method, target, headers and body intact, and the sender gets status, headers
// and body back; both sides' events name the control channel.
import { kase } from '../lib/case';
import { backEnd } from './lib/backend';
import { RELAY_CHANNELS, SIM_CHANNELS, startHarness } from './lib/hc';
import { sha256Hex } from './lib/bytes';

void kase('HC-002', async (t) => {
  const h = await startHarness(t);
  const office = backEnd('control-office');
  await h.listen({ handler: office.handler });

  const answer = await h.send('hyco/echo/orders?x=1&y=two', {
    method: 'POST',
    body: 'hello',
    headers: { 'Content-Type': 'text/plain', 'X-Council': 'council-42' },
  });
  t.equal(answer.status, 200, 'the sender gets the back end’s status');
  t.equal(answer.headers['content-type'], 'application/json', 'and its headers');
  t.equal(answer.headers['x-served-by'], 'control-office');
  const body = answer.json();
  t.match(body, {
    servedBy: 'control-office',
    method: 'POST',
    target: '/hyco/echo/orders?x=1&y=two',
    mode: 'control',
    size: 5,
    sha256: sha256Hex.of('hello'),
  });
  t.equal(office.served[0]?.headers['x-council'], 'council-42', 'custom headers arrive');
  t.equal(office.served[0]?.headers['content-type'], 'text/plain');

  const routed = h.events.of(SIM_CHANNELS.request);
  t.same(
    routed.map((e) => e.route),
    ['control'],
    'the endpoint routed it on the control channel',
  );
  t.equal(routed[0]?.bodyBytes, 5);
  t.same(
    h.events
      .of(SIM_CHANNELS.frame, (e) => e.channel === 'control' && e.direction === 'out')
      .map((e) => e.verb),
    ['request', 'body'],
    'request frame, then its body as one binary message',
  );
  t.match(h.events.of(RELAY_CHANNELS.requestReceived), [{ mode: 'control', size: 5 }]);
  t.match(h.events.of(RELAY_CHANNELS.responseSent), [{ mode: 'control', status: 200 }]);
  t.same(
    h.events.of(SIM_CHANNELS.rendezvous).map((e) => e.event),
    [],
    'no rendezvous was opened',
  );
  t.match(h.events.of(SIM_CHANNELS.response), [{ status: 200, route: 'control' }]);
  t.ok(
    h.dials.every((d) => d.includes('-> 127.0.0.1:')),
    'every dial of the listener went through the endpoint map to loopback',
  );
});
