// Auto-detect against the real network model, Service Bus and Hybrid Connections
// simulators. In: the model's egress firewall set to accept everything, reject 5671, drop
// 5671, block everything (reject and drop), then accept again; a poisoned DNS answer. Out:
// the mode is tcp, https, https (the dropped port's outcome is `timeout`, bounded by a
// short probeTimeoutMs), none with a per-port diagnosis and a retry scheduled, then tcp
// after reprobe(); the poisoned answer is egress-refused and never reaches the model.
import t from 'tap';
import { createConnectivity, type Connectivity } from '../../relay/src/connectivity';
import type { Scheduler } from '../../relay/src/transports/scheduler';
import { captureEvents, startConnectivityWorld, type ConnectivityWorld } from './lib/world';

function diagnosisOf(conn: Connectivity): Record<string, string> {
  return Object.fromEntries(
    conn.snapshot().ports.map((p) => [`${p.target}:${p.port}`, p.diagnosis]),
  );
}

/**
 * Real time for the probes, but retry and re-probe timers are only recorded, never run: the
 * test decides when the next round happens (reprobe()).
 */
const heldTimers: Scheduler = {
  now: () => Date.now(),
  setTimer: () => ({ __timer: undefined }),
  clearTimer: () => undefined,
};

async function detect(
  t: tap.Test,
  world: ConnectivityWorld,
  probeTimeoutMs = 10_000,
): Promise<Connectivity> {
  const settings = world.settings({ connectivity: { probeTimeoutMs } });
  const conn = createConnectivity(settings, {
    egress: await world.egress({ connectivity: { probeTimeoutMs } }),
    scheduler: heldTimers,
  });
  t.teardown(() => {
    conn.close();
  });
  await conn.start();
  return conn;
}

void t.test('auto-detect over the network model', async (t) => {
  const world = await startConnectivityWorld(t);

  await t.test('with the firewall accepting everything it picks tcp', async (t) => {
    const events = captureEvents(t, ['relay:connectivity:probe', 'sim:net:dial']);
    const conn = await detect(t, world);
    t.equal(conn.mode, 'tcp');
    t.same(Object.values(diagnosisOf(conn)), Array(8).fill('allowed'), 'all eight ports allowed');
    t.ok(
      conn.snapshot().ports.every((p) => p.tlsVersion === 'TLSv1.2' || p.tlsVersion === 'TLSv1.3'),
      'every probe negotiated TLS 1.2 or later',
    );
    const dialled = events
      .filter((e) => e.channel === 'sim:net:dial')
      .map((e) => Number(e.data.port))
      .sort((a, b) => a - b);
    t.same(
      dialled,
      [443, 443, 5671, 9350, 9351, 9352, 9353, 9354],
      'the model saw each logical port',
    );
  });

  await t.test('5671 rejected: https, with 5671 diagnosed as refused', async (t) => {
    await world.firewall([
      { name: 'no-amqps', verdict: 'reject', destination: 'any', ports: 5671 },
    ]);
    const conn = await detect(t, world);
    t.equal(conn.mode, 'https');
    t.equal(diagnosisOf(conn)['amqp:5671'], 'refused');
    t.equal(diagnosisOf(conn)['hc:9352'], 'allowed');
    t.match(conn.snapshot().next, { kind: 'reprobe', delayMs: 300_000 });
  });

  await t.test('5671 dropped: https within probeTimeoutMs, the outcome is timeout', async (t) => {
    await world.firewall([
      { name: 'drop-amqps', verdict: 'drop', destination: 'any', ports: 5671 },
    ]);
    const events = captureEvents(t, ['relay:connectivity:probe']);
    const conn = await detect(t, world, 3_000);
    t.equal(conn.mode, 'https');
    t.match(events.find((e) => e.data.port === 5671)?.data, {
      target: 'amqp',
      outcome: 'timeout',
      diagnosis: 'timed-out',
      code: 'RELAY_E_EGRESS_TIMEOUT',
    });
  });

  await t.test(
    'everything blocked: none, a per-port diagnosis and a retry scheduled',
    async (t) => {
      await world.firewall([
        { name: 'no-tls', verdict: 'reject', destination: 'any', ports: [443, 5671] },
        { name: 'drop-relay', verdict: 'drop', destination: 'any', ports: '9350-9354' },
      ]);
      const conn = await detect(t, world, 1_500);
      t.equal(conn.mode, 'none');
      t.same(diagnosisOf(conn), {
        'amqp:5671': 'refused',
        'amqp:443': 'refused',
        'hc:9352': 'timed-out',
        'hc:443': 'refused',
        'hc:9350': 'timed-out',
        'hc:9351': 'timed-out',
        'hc:9353': 'timed-out',
        'hc:9354': 'timed-out',
      });
      const snap = conn.snapshot();
      t.match(snap.next, { kind: 'retry' });
      t.equal(snap.failures, 1);
      t.match(snap.reason, /^no path works/);

      await world.firewall([]);
      const again = await conn.reprobe();
      t.equal(again.mode, 'tcp', 'reprobe() after the firewall opens moves to tcp');
      t.equal(again.failures, 0);
      t.equal(again.next, undefined);
    },
  );

  await t.test('a DNS answer outside the ranges is refused before dialling', async (t) => {
    await world.firewall([]);
    world.net.dns.setAnswer(world.sb.host, ['203.0.113.9']);
    await world.net.settled();
    t.teardown(async () => {
      world.net.dns.reset();
      await world.net.settled();
    });
    const events = captureEvents(t, ['relay:egress:dial', 'sim:net:dial']);
    const conn = await detect(t, world);
    t.equal(diagnosisOf(conn)['amqp:5671'], 'egress-refused');
    t.equal(diagnosisOf(conn)['amqp:443'], 'egress-refused');
    t.equal(conn.mode, 'none', 'Service Bus cannot be reached on any path');
    t.match(
      events
        .filter((e) => e.channel === 'relay:egress:dial' && e.data.host === world.sb.host)
        .map((e) => e.data),
      [
        { verdict: 'refused', code: 'RELAY_E_EGRESS_RANGE', address: '203.0.113.9' },
        { verdict: 'refused', code: 'RELAY_E_EGRESS_RANGE', address: '203.0.113.9' },
      ],
    );
    t.notOk(
      events.some((e) => e.channel === 'sim:net:dial' && e.data.host === world.sb.host),
      'the model never saw a dial to the poisoned address',
    );
  });
});
