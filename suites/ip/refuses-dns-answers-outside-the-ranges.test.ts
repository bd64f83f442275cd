// IP-022: a DNS answer outside the allowed ranges. In: a world whose Service Bus host name
// answers a documentation address (203.0.113.7, never dialled: it is outside the selected
// service-tag ranges and served by nothing); the reference relay as a child process. Out:
// every dial to the Service Bus host is refused with RELAY_E_EGRESS_RANGE before any packet,
// the ports are diagnosed egress-refused, no session starts; once the name answers an allowed
// address again the relay recovers on its own.
import { kase } from '../lib/case';
import { isEvent } from '../lib/relay-child';
import { startRelayWorld } from '../lib/relay-world';

const POISON = '203.0.113.7';

void kase('IP-022', async (t) => {
  const rw = await startRelayWorld(t);
  const model = rw.world.network;
  if (model === undefined) throw new Error('no network model');
  const sbHost = (rw.relayConfig.serviceBus as { host: string }).host;
  const good = model.dns.record(sbHost).addresses;
  model.dns.setAnswer(sbHost, [POISON]);
  await model.settled();

  const relay = rw.startRelay();
  const mode = await relay.waitFor(isEvent('relay:connectivity:mode'), 'a mode');
  t.equal(mode.data.mode, 'none', 'no transport for Service Bus: mode none');
  const toSb = relay.events.filter(
    (e) => e.channel === 'relay:egress:dial' && e.data.host === sbHost,
  );
  t.ok(toSb.length >= 2, 'both Service Bus ports were tried');
  for (const d of toSb) {
    t.equal(d.data.verdict, 'refused', `${sbHost}:${String(d.data.port)} refused`);
    t.equal(d.data.code, 'RELAY_E_EGRESS_RANGE', 'because the answer is outside the ranges');
  }
  t.notOk(
    relay.events.some(
      (e) =>
        e.channel === 'relay:egress:dial' &&
        e.data.verdict === 'allowed' &&
        e.data.address === POISON,
    ),
    'the poisoned address was never allowed',
  );
  t.notOk(
    rw.netEvents.some((e) => e.channel === 'sim:net:dial' && e.data.address === POISON),
    'and nothing was dialled there',
  );
  const health = await rw.health(relay);
  for (const p of health.ports.filter((x) => x.host === sbHost)) {
    t.equal(p.outcome, 'egress-refused', `${p.host}:${p.port} diagnosed egress-refused`);
  }

  const mark = relay.events.length;
  model.dns.setAnswer(sbHost, good);
  await model.settled();
  await relay.waitAfter(mark, isEvent('relay:session', { state: 'live' }), 'a live session');
  t.pass('with an allowed answer again the relay recovered on its own');
});
