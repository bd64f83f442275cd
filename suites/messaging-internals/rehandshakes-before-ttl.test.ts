// Renewal before the session ends. In: one clock for the relay and the tenant (driven by the
// test), a tenant granting 100 s sessions. Out: nothing happens at 79 s; at 80 s (80% of the
// ttl) the relay sends a new HELLO and gets a new session (new sid) without ever going down;
// the tenant's registry shows the new sid; when the first session's time is over the relay is
// still live on the second one.
import t from 'tap';
import { MESSAGING_CHANNELS } from '../../relay/src/messaging';
import { TENANT_CHANNELS } from '../../simulator/src/cloud/tenant';
import { ManualClock, newTenantKey, startWorld } from './lib/world';

void t.test('the relay re-handshakes at 80% of the session ttl', async (t) => {
  const world = await startWorld(t);
  const clock = new ManualClock();
  const k1 = newTenantKey();
  const tenant = await world.startTenant({
    keys: [{ kid: 'k1', key: k1 }],
    ttlSeconds: 100,
    clock,
  });
  const relay = world.startRelay({ keys: [{ kid: 'k1', key: k1 }], clock });
  const downs: string[] = [];
  relay.handshake.on('down', (reason) => downs.push(reason));

  const first = await relay.handshake.whenLive();
  t.equal(first.ttl, 100);
  const hellos = (): number =>
    world.events.of(MESSAGING_CHANNELS.session, (e) => e.state === 'handshaking').length;
  t.equal(hellos(), 1);

  clock.advance(79_000);
  t.equal(hellos(), 1, 'no HELLO at 79 s');
  t.equal(relay.handshake.session?.sid, first.sid);

  const renewed = world.events.nth(MESSAGING_CHANNELS.session, 2, (e) => e.state === 'live');
  clock.advance(1_000);
  t.equal(hellos(), 2, 'a HELLO at 80 s');
  await renewed;
  const second = relay.handshake.session;
  if (second === undefined) throw new Error('no session after the renewal');
  t.not(second.sid, first.sid, 'a new session id');
  t.equal(second.expiresAt - first.expiresAt, 80_000, 'the new session starts at 80 s');
  t.equal(tenant.session('relay-a')?.sid, second.sid, 'the tenant lists the new session');
  t.match(world.events.of(TENANT_CHANNELS.session), [
    { state: 'live', sid: first.sid.slice(0, 8) },
    { state: 'replaced', sid: first.sid.slice(0, 8) },
    { state: 'live', sid: second.sid.slice(0, 8) },
  ]);

  clock.advance(25_000); // 105 s: the first session is over
  t.ok(relay.handshake.isLive(), 'still live on the second session');
  t.same(downs, [], 'the relay never went down');
  t.same(
    world.events.of(MESSAGING_CHANNELS.session, (e) => e.state === 'expired'),
    [],
    'no expiry',
  );
});
