// The relay when the council firewall blocks the TCP path. In: three worlds: 5671 refused,
// 9350-9354 refused, and 5671 plus 9350-9354 silently dropped; the reference relay as a child
// process with a 1.5 s probe bound. Out: PORT-003 (Service Bus over AMQP over WebSockets on
// 443), PORT-004 (Hybrid Connections on 443) and PORT-005 (dropped ports end as timed-out at
// the probe bound and the relay still works over 443), each shown by the relay's mode, its
// per-port diagnosis, the ports the network model saw, and traffic relayed end to end.
import { kase } from '../lib/case';
import { isEvent } from '../lib/relay-child';
import {
  dialledPorts,
  firewall,
  startRelayWorld,
  TCP_RANGE,
  type RelayWorld,
} from '../lib/relay-world';

const OPEN = [443, 5671, 9350, 9351, 9352, 9353, 9354];

/** One retrieval over the Hybrid Connection and one over Service Bus; both must answer 200. */
async function relaysTraffic(t: tap.Test, rw: RelayWorld): Promise<void> {
  const tenant = rw.world.tenant;
  const ref = rw.world.backOffice?.data.councilTax.references[0];
  if (tenant === undefined || ref === undefined) throw new Error('no tenant or account');
  const sync = await tenant.call(`/council-tax/accounts/${ref}`, { method: 'GET' });
  t.equal(sync.status, 200, 'a retrieval over the Hybrid Connection is answered');
  const work = await tenant.sendWork('council-tax', Buffer.alloc(0), {
    properties: { path: `/accounts/${ref}` },
  });
  t.equal(work.status, 200, 'a message over Service Bus is relayed');
}

void kase('PORT-003', async (t) => {
  const rw = await startRelayWorld(t, {
    world: {
      network: {
        firewall: firewall(
          OPEN.filter((p) => p !== 5671),
          { ports: [5671], verdict: 'reject' },
        ),
      },
    },
  });
  const relay = rw.startRelay();
  await rw.live(relay);
  const mode = await relay.waitFor(isEvent('relay:connectivity:mode'), 'a mode');
  t.equal(mode.data.mode, 'https', 'the relay chose the 443 path');
  const health = await rw.health(relay);
  t.equal(health.ports.find((p) => p.port === 5671)?.outcome, 'refused', '5671 diagnosed refused');
  await relaysTraffic(t, rw);
  const after = relay.events.filter(
    (e) =>
      e.channel === 'relay:egress:dial' &&
      e.data.purpose !== 'probe' &&
      e.data.verdict === 'allowed',
  );
  t.notOk(
    after.some((e) => e.data.port === 5671),
    'no transport (only probes) dialled 5671',
  );
  const sbHost = (rw.relayConfig.serviceBus as { host: string }).host;
  t.ok(
    after.some((e) => e.data.port === 443 && e.data.host === sbHost),
    'Service Bus was dialled on 443 (AMQP over WebSockets)',
  );
});

void kase('PORT-004', async (t) => {
  const rw = await startRelayWorld(t, {
    world: {
      network: { firewall: firewall([443, 5671], { ports: TCP_RANGE, verdict: 'reject' }) },
    },
  });
  const relay = rw.startRelay();
  await rw.live(relay);
  const mode = await relay.waitFor(isEvent('relay:connectivity:mode'), 'a mode');
  t.equal(mode.data.mode, 'https', 'the relay chose the 443 path');
  t.equal(mode.data.hc, 'https', 'Hybrid Connections go over 443');
  const health = await rw.health(relay);
  for (const port of TCP_RANGE) {
    t.equal(health.ports.find((p) => p.port === port)?.outcome, 'refused', `${port} refused`);
  }
  t.ok(
    health.transports.hybrid.every((h) => h.state === 'up'),
    'every hybrid connection listener is up',
  );
  await relaysTraffic(t, rw);
});

void kase('PORT-005', async (t) => {
  const rw = await startRelayWorld(t, {
    world: {
      network: {
        firewall: firewall([443], { ports: [5671, ...TCP_RANGE], verdict: 'drop' }),
      },
    },
  });
  const relay = rw.startRelay();
  await rw.live(relay);
  const mode = await relay.waitFor(isEvent('relay:connectivity:mode'), 'a mode');
  t.equal(mode.data.mode, 'https', 'the relay chose the 443 path');
  const probes = relay.events.filter(
    (e) =>
      e.channel === 'relay:connectivity:probe' && (e.data.port === 5671 || e.data.port === 9352),
  );
  t.ok(probes.length >= 2, 'both TCP-path ports were probed');
  for (const p of probes) {
    t.equal(p.data.outcome, 'timeout', `${String(p.data.port)} ended as timed out, not refused`);
  }
  const health = await rw.health(relay);
  t.equal(health.ports.find((p) => p.port === 5671)?.outcome, 'timed-out');
  t.ok(dialledPorts(rw.netEvents).includes(5671), 'the network model held the dropped 5671 dial');
  await relaysTraffic(t, rw);
});
