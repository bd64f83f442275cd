// PORT-012: back to the TCP path. In: a world whose firewall refuses 5671, the reference relay
// as a child process re-probing every 2 s while on 443, then the firewall opened at run time
// through the network model. Out: the relay moves from https to tcp on its own, handshakes
// again, and relays traffic over the TCP path (its transports dial 5671 after the move).
import { kase } from '../lib/case';
import { isEvent } from '../lib/relay-child';
import { firewall, startRelayWorld, TCP_RANGE } from '../lib/relay-world';

void kase('PORT-012', async (t) => {
  const rw = await startRelayWorld(t, {
    world: {
      network: { firewall: firewall([443, ...TCP_RANGE], { ports: [5671], verdict: 'reject' }) },
    },
    relay: { connectivity: { reprobeIntervalMs: 2000 } },
  });
  const relay = rw.startRelay();
  await rw.live(relay);
  const first = await relay.waitFor(isEvent('relay:connectivity:mode'), 'a mode');
  t.equal(first.data.mode, 'https', 'with 5671 refused the relay starts on 443');

  const model = rw.world.network;
  const tenant = rw.world.tenant;
  const ref = rw.world.backOffice?.data.councilTax.references[0];
  if (model === undefined || tenant === undefined || ref === undefined) throw new Error('world');
  const mark = relay.events.length;
  await model.firewall.set(firewall([443, 5671, ...TCP_RANGE]));
  const moved = await relay.waitAfter(
    mark,
    isEvent('relay:connectivity:mode', { mode: 'tcp' }),
    'the move back to tcp',
  );
  t.equal(moved.data.previous, 'https', 'it moved from https');
  await relay.waitAfter(
    relay.events.indexOf(moved),
    isEvent('relay:session', { state: 'live' }),
    'a live session on tcp',
  );
  const work = await tenant.sendWork('council-tax', Buffer.alloc(0), {
    properties: { path: `/accounts/${ref}` },
  });
  t.equal(work.status, 200, 'Service Bus work flows after the move');
  const sbHost = (rw.relayConfig.serviceBus as { host: string }).host;
  t.ok(
    relay.events
      .slice(relay.events.indexOf(moved))
      .some(
        (e) =>
          e.channel === 'relay:egress:dial' &&
          e.data.host === sbHost &&
          e.data.port === 5671 &&
          e.data.purpose !== 'probe' &&
          e.data.verdict === 'allowed',
      ),
    'the Service Bus client dialled 5671 after the move',
  );
  const health = await rw.health(relay);
  t.equal(health.mode, 'tcp');
  t.ok(health.healthy, 'healthy on tcp');
});
