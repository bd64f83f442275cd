// The relay in an open world (every guide port accepted by the council firewall). In: the
// simulated world with its default firewall and the reference relay as a child process. Out:
// PORT-002 (auto-detect chooses TCP), HS-032 (after the handshake one sealed retrieval over the
// Hybrid Connection and one sealed message over Service Bus reach the back office), PORT-001
// (every dial on a guide port), PORT-008 (never port 80) and PORT-011 (no listening socket but
// the loopback health endpoint), all from one relay run.
import t from 'tap';
import { kase } from '../lib/case';
import { isEvent } from '../lib/relay-child';
import { isLoopbackAddress, listeningSockets } from '../lib/listening-sockets';
import { dialledPorts, GUIDE_PORT_LIST, startRelayWorld } from '../lib/relay-world';

void (async () => {
  const rw = await startRelayWorld(t);
  const relay = rw.startRelay();
  await rw.live(relay);
  const tenant = rw.world.tenant;
  const backOffice = rw.world.backOffice;
  if (tenant === undefined || backOffice === undefined) throw new Error('no tenant or back office');

  await kase('PORT-002', async (t) => {
    const mode = await relay.waitFor(isEvent('relay:connectivity:mode'), 'a mode');
    t.equal(mode.data.mode, 'tcp', 'auto-detect chose tcp');
    const health = await rw.health(relay);
    t.equal(health.mode, 'tcp');
    t.ok(health.healthy, '/healthz says healthy');
    const tcpPath = health.ports.filter((p) => p.port === 5671 || p.port === 9352);
    t.equal(tcpPath.length, 2, 'both TCP-path ports are diagnosed');
    for (const p of health.ports) t.equal(p.outcome, 'allowed', `${p.host}:${p.port} allowed`);
    t.ok(
      health.ports.some((p) => p.port === 443),
      'the 443 path was probed in the same round',
    );
  });

  await kase('HS-032', async (t) => {
    const ref = backOffice.data.councilTax.references[0];
    if (ref === undefined) throw new Error('no council tax account');
    const direct = await (await fetch(`${backOffice.url('council-tax')}/accounts/${ref}`)).text();

    const sync = await tenant.call(`/council-tax/accounts/${ref}`, {
      method: 'GET',
      route: 'council-tax',
    });
    t.equal(sync.status, 200, 'the retrieval over the Hybrid Connection answered 200');
    t.ok(sync.sealed, 'the answer came sealed');
    t.equal(
      sync.body.toString('utf8'),
      direct,
      "the sealed answer opens to the back office's bytes",
    );

    const work = await tenant.sendWork('council-tax', Buffer.alloc(0), {
      properties: { path: `/accounts/${ref}` },
    });
    t.equal(work.status, 200, 'the Service Bus message was relayed');
    t.equal(work.body.toString('utf8'), direct, 'its sealed reply opens to the same bytes');

    const seen = backOffice.journal.count({ service: 'council-tax', path: `/accounts/${ref}` });
    t.equal(seen, 3, 'the back office saw our direct read and the two relayed ones');
  });

  await kase('PORT-001', (t) => {
    const dials = relay.events.filter((e) => e.channel === 'relay:egress:dial');
    t.ok(dials.length > 0, 'the relay reported its dials');
    for (const d of dials) {
      t.ok(
        GUIDE_PORT_LIST.includes(Number(d.data.port)),
        `${String(d.data.host)}:${String(d.data.port)} is a guide port`,
      );
    }
    for (const port of dialledPorts(rw.netEvents))
      t.ok(GUIDE_PORT_LIST.includes(port), `the network model saw a dial to guide port ${port}`);
    t.notOk(
      dials.some((d) => d.data.port === 5672),
      'a production relay never dials plain AMQP (5672)',
    );
    t.end();
  });

  await kase('PORT-008', (t) => {
    const to80 = relay.events.filter(
      (e) => e.channel === 'relay:egress:dial' && e.data.port === 80,
    );
    t.same(to80, [], 'the relay dialled nothing on port 80');
    t.notOk(dialledPorts(rw.netEvents).includes(80), 'the network model saw nothing on 80');
    t.end();
  });

  await kase(
    'PORT-011',
    async (t) => {
      const health = new URL(await relay.healthUrl);
      const sockets = listeningSockets(relay.pid) ?? [];
      t.ok(sockets.length > 0, 'the health endpoint is listening');
      for (const s of sockets) {
        t.ok(isLoopbackAddress(s.address), `${s.address}:${s.port} is on loopback`);
      }
      t.same(
        sockets.map((s) => s.port),
        [Number(health.port)],
        'the only listening socket is the health endpoint',
      );
    },
    process.platform === 'linux' ? {} : { skip: 'reads /proc: Linux only' },
  );
})();
