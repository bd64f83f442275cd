// Key rotation under load. In: tenant key k1; relays a (serving work) and b (handshake only) on
// k1; a stream of sendWork. Then: the tenant adds k2, relay a moves to [k2, k1] and re-handshakes,
// the tenant retires k1. Out: every request of the stream succeeds (zero failures), later ones
// sealed under k2; retiring k1 drops relay b's session (sim:tenant:session dropped) and keeps a's
// k2 session; relay b, still on k1, gets REJECT with a local message naming key id k1 (HS_E_KID
// in the tenant's event only).
import t from 'tap';
import { MESSAGING_CHANNELS } from '../../relay/src/messaging';
import { TENANT_CHANNELS } from '../../simulator/src/cloud/tenant';
import { codeOf, echoHandler, newTenantKey, rejectionOf, startWorld } from './lib/world';

void t.test('key rotation moves a relay from k1 to k2 with zero failed requests', async (t) => {
  const world = await startWorld(t);
  const k1 = newTenantKey();
  const k2 = newTenantKey();
  const tenant = await world.startTenant({ keys: [{ kid: 'k1', key: k1 }] });
  const a = world.startRelay({
    instanceId: 'relay-a',
    keys: [{ kid: 'k1', key: k1 }],
    handler: echoHandler,
  });
  const b = world.startRelay({ instanceId: 'relay-b', keys: [{ kid: 'k1', key: k1 }] });
  await Promise.all([a.handshake.whenLive(), b.handshake.whenLive()]);

  const results: { i: number; kid: string; ok: boolean }[] = [];
  const failures: unknown[] = [];
  const control = { stop: false };
  const stream = (async () => {
    for (let i = 0; i < 500 && !control.stop; i++) {
      try {
        const reply = await tenant.sendWork('council-tax', Buffer.from(`req-${i}`));
        results.push({ i, kid: reply.kid, ok: reply.body.toString() === `council-tax:req-${i}` });
      } catch (e) {
        failures.push(e);
      }
    }
  })();
  const completed = (n: number): Promise<unknown> =>
    world.events.nth(MESSAGING_CHANNELS.work, n, (e) => e.outcome === 'completed');

  await completed(5);
  tenant.addKey('k2', k2);
  a.keys.set([
    { kid: 'k2', key: k2 },
    { kid: 'k1', key: k1 },
  ]);
  const moved = await a.handshake.rehandshake();
  t.equal(moved.kid, 'k2', 'relay a now holds a k2 session');
  const afterMove = results.length;
  await completed(afterMove + 5);

  const dropped = tenant.retireKey('k1');
  t.same(
    dropped.map((s) => [s.instanceId, s.kid]),
    [['relay-b', 'k1']],
    'retiring k1 drops the session bound to k1',
  );
  t.match(
    world.events.of(TENANT_CHANNELS.session, (e) => e.state === 'dropped'),
    [{ instanceId: 'relay-b', kid: 'k1', reason: 'key k1 retired' }],
  );
  const afterRetire = results.length;
  await completed(afterRetire + 5);
  control.stop = true;
  await stream;

  t.same(failures, [], 'zero failed requests');
  t.ok(results.length >= 15, `the stream ran across the rotation (${results.length} requests)`);
  t.ok(
    results.every((r) => r.ok),
    'every reply is the right one',
  );
  t.equal(results[0]?.kid, 'k1', 'the first requests were sealed under k1');
  t.ok(
    results.slice(afterRetire).every((r) => r.kid === 'k2'),
    'after the retirement every request is sealed under k2',
  );
  t.same(
    tenant.sessions().map((s) => [s.instanceId, s.kid]),
    [['relay-a', 'k2']],
    'only relay a is live, on k2',
  );

  // Relay b still uses k1.
  const refused = await rejectionOf(b.handshake.rehandshake());
  t.equal(codeOf(refused), 'RELAY_E_SESSION_REJECTED');
  t.match(
    (refused as Error).message,
    /under key id k1\b.*key id k1 is active/,
    'the message names the kid',
  );
  t.match(
    world.events.of(TENANT_CHANNELS.hello, (e) => e.outcome === 'reject'),
    [{ instanceId: 'relay-b', code: 'HS_E_KID', kid: 'k1' }],
  );
  t.notOk(b.handshake.isLive(), 'relay b is down');
  t.ok(a.handshake.isLive(), 'relay a is live');
});
