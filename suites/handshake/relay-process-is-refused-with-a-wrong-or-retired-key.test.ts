// HS-028 and HS-031 at system level: the reference relay process against the tenant driver.
// In: the world's tenant (key k1) and relay configs written with a wrong key, or with k1 after
// the tenant retired it. Out: REJECT (the relay's session state `rejected`, /healthz unhealthy),
// no work delivered (the tenant refuses to send with SIM_E_TENANT_NO_SESSION, and the requests
// queue keeps nothing for the relay), and a log line at the relay naming the tenant and the key
// id, with no reason and no key in it.
import { randomBytes } from 'node:crypto';
import { kase } from '../lib/case';
import { isEvent } from '../lib/relay-child';
import { startRelayWorld, type Json } from '../lib/relay-world';

void kase('HS-028', async (t) => {
  const rw = await startRelayWorld(t);
  const wrong = randomBytes(32).toString('base64');
  const path = rw.writeRelayConfig('wrong-key.json', (c) => {
    (c.tenant as Json).keys = [{ kid: 'k1', secret: wrong }];
  });
  const relay = rw.startRelay(path);
  await relay.waitFor(isEvent('relay:session', { state: 'rejected' }), 'a REJECT');
  const health = await rw.health(relay);
  t.equal(health.session.state, 'rejected', '/healthz shows the session rejected');
  t.notOk(health.healthy, 'and the relay unhealthy');
  const tenant = rw.world.tenant;
  if (tenant === undefined) throw new Error('no tenant');
  t.same(tenant.sessions(), [], 'the tenant registry holds no session');
  await t.rejects(
    tenant.sendWork('council-tax', Buffer.alloc(0), { properties: { path: '/accounts/1' } }),
    { code: 'SIM_E_TENANT_NO_SESSION' },
    'the tenant routes no work without a live session',
  );
  await t.rejects(tenant.call('/council-tax/accounts/1', { method: 'GET' }), {
    code: 'SIM_E_TENANT_NO_SESSION',
  });
  t.notOk(
    relay.events.some((e) => e.channel === 'relay:work'),
    'the relay never received work',
  );
  t.notOk(
    relay.stderr().includes(wrong) || relay.stdout().includes(wrong),
    'the key never printed',
  );
});

void kase('HS-031', async (t) => {
  const rw = await startRelayWorld(t);
  const tenant = rw.world.tenant;
  if (tenant === undefined) throw new Error('no tenant');
  const k2 = randomBytes(32);
  tenant.addKey('k2', k2);
  tenant.retireKey('k1');
  const relay = rw.startRelay();
  const refused = await relay.waitFor(isEvent('relay:session', { state: 'rejected' }), 'a REJECT');
  t.equal(refused.data.kid, 'k1', 'the event names the refused key id');
  const line = await relay.waitForOutput(/[^\n]*RELAY_E_SESSION_REJECTED[^\n]*/, 'the refusal log');
  const log = relay.stdout() + relay.stderr();
  t.match(line, /council-42/, 'the relay log names the tenant');
  t.match(line, /k1/, 'and the key id in the same line');
  t.match(line, /refused|REJECT/i, 'and says the handshake was refused');
  const secret = (rw.relayConfig.tenant as { keys: { secret: string }[] }).keys[0]?.secret ?? '';
  t.notOk(log.includes(secret), 'never the key');
  t.notOk(log.includes('HS_E_'), 'never the reason (the tenant sends none)');
});
