// PORT-006: a council firewall that blocks 443 but opens the TCP path. In: a world whose
// firewall refuses 443 and accepts 5671 and 9350-9354; the reference relay as a child process.
// Out: the relay chooses TCP, diagnoses 443 refused, and relays over both transports.
import { kase } from '../lib/case';
import { isEvent } from '../lib/relay-child';
import { firewall, startRelayWorld, TCP_RANGE } from '../lib/relay-world';

void kase('PORT-006', async (t) => {
  const rw = await startRelayWorld(t, {
    world: {
      network: { firewall: firewall([5671, ...TCP_RANGE], { ports: [443], verdict: 'reject' }) },
    },
  });
  const relay = rw.startRelay();
  await rw.live(relay);
  const mode = await relay.waitFor(isEvent('relay:connectivity:mode'), 'a mode');
  t.equal(mode.data.mode, 'tcp', 'the relay chose the TCP path');
  const health = await rw.health(relay);
  const on443 = health.ports.filter((p) => p.port === 443);
  t.equal(on443.length, 2, 'both 443 probes (Service Bus and Azure Relay) are diagnosed');
  for (const p of on443) t.equal(p.outcome, 'refused', `${p.host}:443 refused`);
  const tenant = rw.world.tenant;
  const ref = rw.world.backOffice?.data.councilTax.references[0];
  if (tenant === undefined || ref === undefined) throw new Error('no tenant or account');
  t.equal((await tenant.call(`/council-tax/accounts/${ref}`, { method: 'GET' })).status, 200);
  const work = await tenant.sendWork('council-tax', Buffer.alloc(0), {
    properties: { path: `/accounts/${ref}` },
  });
  t.equal(work.status, 200, 'Service Bus traffic flows over 5671');
});
