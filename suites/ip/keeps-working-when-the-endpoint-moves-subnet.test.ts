// IP-023: the namespace moves to another allowed subnet. In: a world with every guide port
// open, the reference relay as a child process live on tcp; then both namespace host names
// (Service Bus and Azure Relay) move to a fresh address in another prefix of the selected
// ranges, and the old addresses go down (their open connections closed, new dials refused).
// Out: the relay notices, probes again, rebuilds its Service Bus client in the same mode (its
// dials planned again from the new answers), its Hybrid Connections listeners reconnect to
// the new address, it handshakes again, and traffic over both transports is answered. The
// old addresses are never dialled by a transport after the move.
import { kase } from '../lib/case';
import { isEvent } from '../lib/relay-child';
import { firewall, startRelayWorld, TCP_RANGE } from '../lib/relay-world';

void kase('IP-023', async (t) => {
  const rw = await startRelayWorld(t, {
    world: { network: { firewall: firewall([443, 5671, ...TCP_RANGE]) } },
  });
  const relay = rw.startRelay();
  await rw.live(relay);
  const first = await relay.waitFor(isEvent('relay:connectivity:mode'), 'a mode');
  t.equal(first.data.mode, 'tcp', 'the relay starts on tcp');

  const model = rw.world.network;
  const tenant = rw.world.tenant;
  const ref = rw.world.backOffice?.data.councilTax.references[0];
  if (model === undefined || tenant === undefined || ref === undefined) throw new Error('world');
  const sbHost = (rw.relayConfig.serviceBus as { host: string }).host;
  const hcHost = (rw.relayConfig.hybrid as { host: string }).host;
  const hosts = [...new Set([sbHost, hcHost])];
  const before = new Map(hosts.map((h) => [h, [...model.dns.record(h).addresses]]));

  // Working before the move (the requests receiver attached): a connection lost while the SDK
  // is still attaching its link is reported only when the SDK's own operation timeout passes.
  const warm = await tenant.sendWork('council-tax', Buffer.alloc(0), {
    properties: { path: `/accounts/${ref}` },
  });
  t.equal(warm.status, 200, 'Service Bus work is relayed before the move');
  // Its completion follows its reply: wait for it, so the move finds nothing half settled.
  await relay.waitFor(isEvent('relay:work', { outcome: 'completed' }), 'the request completed');

  const mark = relay.events.length;
  const moved = new Map(hosts.map((h) => [h, [...model.dns.move(h).addresses]]));
  await model.settled();
  for (const h of hosts) {
    const old = before.get(h) ?? [];
    const now = moved.get(h) ?? [];
    t.notSame(now, old, `${h} answers a new address`);
    const prefix = (a: string) => a.split('.').slice(0, 3).join('.');
    t.ok(
      now.every((a) => old.every((o) => prefix(a) !== prefix(o))),
      `${h} moved to another subnet (${now.join(', ')})`,
    );
    for (const [i, address] of old.entries()) {
      await model.faults.add({
        name: `old-${hosts.indexOf(h)}-${i}`,
        type: 'down',
        endpoint: { address },
      });
    }
  }

  const rebuilt = await relay.waitAfter(
    mark,
    isEvent('relay:state', { state: 'transports-rebuilt' }),
    'the Service Bus client rebuilt in the same mode',
  );
  t.equal(rebuilt.data.mode, 'tcp', 'still on tcp: the move is not a mode change');
  await relay.waitAfter(
    relay.events.indexOf(rebuilt),
    isEvent('relay:session', { state: 'live' }),
    'a live session after the move',
  );
  const work = await tenant.sendWork('council-tax', Buffer.alloc(0), {
    properties: { path: `/accounts/${ref}` },
  });
  t.equal(work.status, 200, 'Service Bus work is relayed after the move');
  const sync = await tenant.call(`/council-tax/accounts/${ref}`, { method: 'GET' });
  t.equal(sync.status, 200, 'a retrieval over the Hybrid Connection is answered after the move');

  const dials = relay.events
    .slice(mark)
    .filter(
      (e) =>
        e.channel === 'relay:egress:dial' &&
        e.data.purpose !== 'probe' &&
        e.data.verdict === 'allowed',
    );
  for (const h of hosts) {
    const now = moved.get(h) ?? [];
    t.ok(
      dials.some((d) => d.data.host === h && now.includes(String(d.data.address))),
      `the relay's transports dialled ${h} at its new address`,
    );
  }
  const old = [...before.values()].flat();
  t.ok(old.length > 0, 'the names had addresses before the move');
  const afterRebuild = relay.events.slice(relay.events.indexOf(rebuilt));
  t.notOk(
    afterRebuild.some(
      (e) =>
        e.channel === 'relay:egress:dial' &&
        e.data.verdict === 'allowed' &&
        old.includes(String(e.data.address)),
    ),
    'nothing dialled an old address after the rebuild',
  );
  const netDials = rw.netEvents.filter((e) => e.channel === 'sim:net:dial');
  t.ok(
    netDials.some((e) => [...moved.values()].flat().includes(String(e.data.address))),
    'the network model saw dials to the new addresses',
  );
  const health = await rw.health(relay);
  t.equal(health.mode, 'tcp');
  t.ok(health.healthy, 'healthy after the move');
});
