// HS-030 at system level: a key rotation with work flowing, as a council would run it with two
// relay processes. In: the world's tenant on key k1 and relay A (keys [k1]) serving a steady
// stream of Service Bus work; then the tenant activates k2, relay A drains and stops on SIGTERM,
// relay B starts with keys [k2, k1] (HELLO under k2; k1 still opens work sealed before the
// hand-over), and the tenant retires k1. Out: every request of the stream is answered 200 (zero
// failed), relay B's session is under k2, retiring k1 drops only relay A's session, and every
// request sent after the retirement is sealed under k2.
import { randomBytes } from 'node:crypto';
import { kase } from '../lib/case';
import { isEvent, waitForNth } from '../lib/relay-child';
import { startRelayWorld, type Json } from '../lib/relay-world';

void kase('HS-030', async (t) => {
  const rw = await startRelayWorld(t);
  const tenant = rw.world.tenant;
  const ref = rw.world.backOffice?.data.councilTax.references[0];
  if (tenant === undefined || ref === undefined) throw new Error('no tenant or account');
  const k1 = (rw.relayConfig.tenant as { keys: { kid: string; secret: string }[] }).keys[0];
  if (k1?.kid !== 'k1') throw new Error('the world relay config holds no k1');

  const a = rw.startRelay(
    rw.writeRelayConfig('relay-a.json', (c) => {
      c.instanceId = 'relay-a';
    }),
  );
  await rw.live(a);

  const results: { i: number; status: number; kid: string }[] = [];
  const failures: unknown[] = [];
  const control = { stop: false, sent: 0 };
  const stream = (async () => {
    for (let i = 0; i < 2_000 && !control.stop; i++) {
      control.sent = i + 1;
      try {
        const reply = await tenant.sendWork('council-tax', Buffer.alloc(0), {
          properties: { path: `/accounts/${ref}` },
          timeoutMs: 60_000,
        });
        results.push({ i, status: reply.status, kid: reply.kid });
      } catch (e) {
        failures.push(e);
      }
    }
  })();
  const completedBy = (relay: typeof a, n: number, what: string) =>
    waitForNth(relay, isEvent('relay:work', { outcome: 'completed' }), n, what);

  await completedBy(a, 5, 'relay A relaying work');

  const k2 = randomBytes(32);
  tenant.addKey('k2', k2);
  const bConfig = rw.writeRelayConfig('relay-b.json', (c) => {
    c.instanceId = 'relay-b';
    (c.tenant as Json).keys = [{ kid: 'k2', secret: k2.toString('base64') }, { ...k1 }];
  });
  const stopped = await a.stop();
  t.equal(stopped.code, 0, 'relay A drained and stopped cleanly');
  const b = rw.startRelay(bConfig);
  const live = await b.waitFor(isEvent('relay:session', { state: 'live' }), 'relay B live');
  t.equal(live.data.kid, 'k2', "relay B's session is under k2");
  await completedBy(b, 5, 'relay B relaying work');
  // Requests numbered from here on are sent after the retirement.
  const beforeRetire = control.sent;

  const dropped = tenant.retireKey('k1');
  t.same(
    dropped.map((s) => [s.instanceId, s.kid]),
    [['relay-a', 'k1']],
    "retiring k1 drops only relay A's session",
  );
  await completedBy(
    b,
    b.events.filter((e) => e.channel === 'relay:work').length + 5,
    'relay B relaying work after the retirement',
  );
  control.stop = true;
  await stream;

  t.same(failures, [], 'zero failed requests across the rotation');
  t.ok(results.length >= 15, `the stream ran across the rotation (${results.length} requests)`);
  t.ok(
    results.every((r) => r.status === 200),
    'every request was answered 200',
  );
  t.equal(results[0]?.kid, 'k1', 'the first requests were sealed under k1');
  const afterRetire = results.filter((r) => r.i >= beforeRetire);
  t.ok(afterRetire.length > 0, 'requests were sent after the retirement');
  t.ok(
    afterRetire.every((r) => r.kid === 'k2'),
    'every request sent after the retirement was sealed under k2',
  );
  t.same(
    tenant.sessions().map((s) => [s.instanceId, s.kid]),
    [['relay-b', 'k2']],
    'only relay B is live, on k2',
  );
  const health = await rw.health(b);
  t.ok(health.healthy, 'relay B is healthy');
  t.equal(health.session.kid, 'k2');
});
