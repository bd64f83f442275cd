// The reference relay takes Service Bus work again after a total outage. In: a world whose
// firewall accepts every guide port, the relay as a child process live on tcp and answering
// work, then every port refused on open connections too (mode none), then the ports open
// again. Out: the relay goes to mode none, comes back (tcp, or https first) with a live session, and work
// sent after the recovery is answered — its requests receiver was rebuilt on the new client,
// not left on the closed one (found by `relaycheck run --relay external`, where every case
// world is such an outage for the relay).
import t from 'tap';
import { isEvent } from '../lib/relay-child';
import { BLOCK_ALL, firewall, startRelayWorld, TCP_RANGE } from '../lib/relay-world';

const OPEN = [443, 5671, ...TCP_RANGE];

void t.test('after every port was refused and opened again, work is answered', async (t) => {
  const rw = await startRelayWorld(t, { world: { network: { firewall: firewall(OPEN) } } });
  const relay = rw.startRelay();
  await rw.live(relay);
  const { network: model, tenant, backOffice } = rw.world;
  if (model === undefined || tenant === undefined || backOffice === undefined) {
    throw new Error('the world has no network model, tenant or back office');
  }
  const refs = backOffice.data.councilTax.references.slice(0, 4);
  const send = (i: number) =>
    tenant.sendWork('council-tax', Buffer.alloc(0), {
      properties: { path: `/accounts/${refs[i] ?? ''}` },
      timeoutMs: 60_000,
    });
  for (let i = 0; i < 2; i++) {
    t.equal((await send(i)).status, 200, `message ${i} (before the outage) is answered`);
  }

  const mark = relay.events.length;
  await model.firewall.set(BLOCK_ALL, { existing: 'apply' });
  await relay.waitAfter(mark, isEvent('relay:connectivity:mode', { mode: 'none' }), 'mode none');
  const down = relay.events.length;
  await model.firewall.set(firewall(OPEN));
  // The first round after the opening may still see the TCP ports refused while 443 (slower:
  // TLS) already works: the relay then comes back on https and returns to tcp at its next
  // re-probe. Either way it comes back from none and takes work.
  const back = await relay.waitAfter(
    down,
    (e) =>
      e.channel === 'relay:connectivity:mode' && (e.data.mode === 'tcp' || e.data.mode === 'https'),
    'the return from mode none',
  );
  t.equal(back.data.previous, 'none', 'the relay came back from mode none');
  await relay.waitAfter(
    relay.events.indexOf(back),
    isEvent('relay:session', { state: 'live' }),
    'a live session after the outage',
  );
  for (let i = 2; i < 4; i++) {
    t.equal((await send(i)).status, 200, `message ${i} (after the outage) is answered`);
  }
});
