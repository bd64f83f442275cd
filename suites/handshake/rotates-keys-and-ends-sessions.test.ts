// HS-016 and HS-026: key rotation and session lifetime. In: a tenant that adds a second key,
// uses both, then retires the first; sessions that reach their ttl; a session table at its
// bound. Out: both keys work during the overlap; the retired kid fails HS_E_KID and its sessions
// are listed for dropping and are no longer live; sessions end at createdAt + ttl exactly.
import { HandshakeError, HandshakeVerifier, openWelcome } from '../../relay/src/protocol/handshake';
import {
  clockAt,
  fixtureHello,
  fixtureVerifier,
  HS_NOW_MS,
  KEY_A,
  KEY_B,
  KID_A,
  ManualClock,
  seededRandom,
  TENANT_A,
  verdict,
} from '../fuzz/targets/handshake';
import { kase } from '../lib/case';

const K2 = Buffer.alloc(32, 0x22);
const K3 = Buffer.alloc(32, 0x33);

void kase('HS-016', async (t) => {
  await t.test('both keys work during the overlap; the retired one fails HS_E_KID', (t) => {
    const verifier = fixtureVerifier();
    const old1 = verifier.verify(fixtureHello({}, { random: seededRandom(1) }).message);
    verifier.addKey(TENANT_A, { kid: 'k2', key: K2 });
    t.same(verifier.keysOf(TENANT_A), [
      { kid: KID_A, state: 'active' },
      { kid: 'k2', state: 'active' },
    ]);
    const old2 = verifier.verify(fixtureHello({}, { random: seededRandom(2) }).message);
    const new1 = verifier.verify(fixtureHello({ kid: 'k2', key: K2 }).message);
    t.equal(verdict(old1), 'ok', 'old key before the overlap');
    t.equal(verdict(old2), 'ok', 'old key during the overlap');
    t.equal(verdict(new1), 'ok', 'new key during the overlap');
    if (!old1.ok || !old2.ok || !new1.ok) return t.end();

    const dropped = verifier.retireKey(TENANT_A, KID_A);
    t.same(dropped.map((s) => s.sid).sort(), [old1.session.sid, old2.session.sid].sort());
    t.equal(verifier.liveSession(TENANT_A, old1.session.sid), undefined);
    t.equal(verifier.liveSession(TENANT_A, new1.session.sid), new1.session, 'k2 session lives');
    const after = fixtureHello({}, { random: seededRandom(3) }).message;
    t.equal(verdict(verifier.verify(after)), 'HS_E_KID', 'old key after retirement');
    const again = fixtureHello({ kid: 'k2', key: K2 }, { random: seededRandom(4) }).message;
    t.equal(verdict(verifier.verify(again)), 'ok', 'new key after retirement');
    t.end();
  });

  await t.test(
    'a third active key is refused with HS_E_CONFIG, a retired slot can be reused',
    (t) => {
      const verifier = fixtureVerifier();
      verifier.addKey(TENANT_A, { kid: 'k2', key: K2 });
      t.throws(
        () => {
          verifier.addKey(TENANT_A, { kid: 'k3', key: K3 });
        },
        { code: 'HS_E_CONFIG' },
      );
      verifier.retireKey(TENANT_A, KID_A);
      verifier.addKey(TENANT_A, { kid: 'k3', key: K3 });
      t.throws(
        () => {
          verifier.addKey(TENANT_A, { kid: KID_A, key: KEY_A });
        },
        {
          code: 'HS_E_CONFIG',
        },
      );
      t.same(
        verifier.keysOf(TENANT_A).map((k) => k.state),
        ['retired', 'active', 'active'],
      );
      t.end();
    },
  );

  await t.test('a configuration with three active keys is refused with HS_E_CONFIG', (t) => {
    const keys = [KEY_A, K2, K3].map((key, i) => ({ kid: `k${i}`, key }));
    t.throws(() => new HandshakeVerifier({ tenants: { [TENANT_A]: keys } }), HandshakeError);
    t.end();
  });
});

void kase('HS-026', async (t) => {
  await t.test('a session is live until createdAt + ttl and not after', (t) => {
    const clock = new ManualClock();
    const verifier = fixtureVerifier({ ttlSeconds: 600 }, { clock });
    const { message, pending } = fixtureHello();
    const result = verifier.verify(message);
    if (!result.ok) return t.fail(result.error.code);
    const relay = openWelcome(pending, result.welcome, { clock });
    t.equal(relay.ttl, 600);
    t.equal(result.session.expiresAt, HS_NOW_MS + 600_000);
    t.ok(relay.expiresAt <= result.session.expiresAt, 'the relay never outlives the cloud');
    clock.set(HS_NOW_MS + 599_999);
    t.equal(verifier.liveSession(TENANT_A, result.session.sid), result.session);
    clock.set(HS_NOW_MS + 600_000);
    t.equal(verifier.liveSession(TENANT_A, result.session.sid), undefined);
    t.end();
  });

  await t.test('the default ttl is 3600 s', (t) => {
    const result = fixtureVerifier().verify(fixtureHello().message);
    t.equal(result.ok && result.session.ttl, 3600);
    t.end();
  });

  await t.test('beyond maxSessionsPerTenant the oldest session is dropped and reported', (t) => {
    const verifier = fixtureVerifier({ maxSessionsPerTenant: 2 }, { clock: clockAt(HS_NOW_MS) });
    const sids = [1, 2, 3].map((seed) => {
      const r = verifier.verify(fixtureHello({}, { random: seededRandom(seed) }).message);
      if (!r.ok) throw new Error(r.error.code);
      return { sid: r.session.sid, dropped: r.dropped.map((s) => s.sid) };
    });
    const [a, b, c] = sids as [(typeof sids)[0], (typeof sids)[0], (typeof sids)[0]];
    t.same(c.dropped, [a.sid]);
    t.same(b.dropped, []);
    t.equal(verifier.liveSession(TENANT_A, a.sid), undefined);
    t.ok(verifier.liveSession(TENANT_A, b.sid));
    t.ok(verifier.liveSession(TENANT_A, c.sid));
    t.end();
  });

  await t.test('a retired key drops only its own tenant’s sessions', (t) => {
    const verifier = fixtureVerifier();
    const b = verifier.verify(
      fixtureHello({ tenant: 'borough-7', kid: 'kb1', key: KEY_B }).message,
    );
    verifier.verify(fixtureHello().message);
    t.equal(verifier.retireKey(TENANT_A, KID_A).length, 1);
    t.ok(b.ok && verifier.liveSession('borough-7', b.session.sid));
    t.end();
  });
});
