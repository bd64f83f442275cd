// HS-001: round trip. In: any tenant, kid, 32-byte secret, relay id, caps, ttl, clock offset
// within the window and randomness. Out: both sides agree on tenant, kid, sid, ttl and Ks.
import fc from 'fast-check';
import {
  CAP_PATTERN,
  createHello,
  HandshakeVerifier,
  KID_PATTERN,
  MAX_CAPS,
  MAX_MESSAGE_BYTES,
  openWelcome,
  RELAY_ID_PATTERN,
  TENANT_PATTERN,
} from '../../relay/src/protocol/handshake';
import { bytesEqual } from '../../relay/src/protocol/primitives';
import { clockAt, HS_NOW_MS, seededRandom } from '../fuzz/targets/handshake';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

const material = fc.record({
  tenant: fc.stringMatching(TENANT_PATTERN),
  kid: fc.stringMatching(KID_PATTERN),
  key: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  relay: fc.stringMatching(RELAY_ID_PATTERN),
  caps: fc.uniqueArray(fc.stringMatching(CAP_PATTERN), { maxLength: MAX_CAPS }),
  ttl: fc.integer({ min: 1, max: 86_400 }),
  offset: fc.integer({ min: -120_000, max: 120_000 }),
  seed: fc.integer(),
});

void kase('HS-001', async (t) => {
  await t.test('both sides derive the same session for any material', (t) =>
    checkProperty(
      t,
      fc.property(material, ({ tenant, kid, key, relay, caps, ttl, offset, seed }) => {
        const cloudNow = HS_NOW_MS + offset;
        const { message, pending } = createHello(
          { tenant, kid, key, relay, caps },
          { clock: clockAt(HS_NOW_MS), random: seededRandom(`r${seed}`) },
        );
        const verifier = new HandshakeVerifier(
          { tenants: { [tenant]: [{ kid, key }] }, ttlSeconds: ttl },
          { clock: clockAt(cloudNow), random: seededRandom(`c${seed}`) },
        );
        const result = verifier.verify(message);
        if (!result.ok) return false;
        const session = openWelcome(pending, result.welcome, { clock: clockAt(HS_NOW_MS) });
        const cloud = result.session;
        return (
          message.length <= MAX_MESSAGE_BYTES &&
          result.welcome.length <= MAX_MESSAGE_BYTES &&
          session.tenant === tenant &&
          cloud.tenant === tenant &&
          session.kid === kid &&
          cloud.kid === kid &&
          session.sid === cloud.sid &&
          session.ttl === ttl &&
          cloud.ttl === ttl &&
          session.key.length === 32 &&
          bytesEqual(session.key, cloud.key) &&
          !bytesEqual(session.key, key) &&
          cloud.relay === relay &&
          JSON.stringify(cloud.caps) === JSON.stringify(caps) &&
          session.expiresAt === HS_NOW_MS + ttl * 1000 &&
          cloud.expiresAt === cloudNow + ttl * 1000 &&
          verifier.liveSession(tenant, cloud.sid) === cloud
        );
      }),
    ),
  );

  await t.test('two handshakes with the same secret give different session ids and keys', (t) => {
    const key = Buffer.alloc(32, 9);
    const verifier = new HandshakeVerifier(
      { tenants: { 'council-1': [{ kid: 'k', key }] } },
      { clock: clockAt(HS_NOW_MS) },
    );
    const sessions = [1, 2].map(() => {
      const { message, pending } = createHello(
        { tenant: 'council-1', kid: 'k', key, relay: 'r' },
        { clock: clockAt(HS_NOW_MS) },
      );
      const result = verifier.verify(message);
      if (!result.ok) throw new Error(result.error.code);
      return openWelcome(pending, result.welcome, { clock: clockAt(HS_NOW_MS) });
    });
    const [a, b] = sessions as [(typeof sessions)[0], (typeof sessions)[0]];
    t.not(a.sid, b.sid);
    t.notOk(bytesEqual(a.key, b.key), 'session keys differ');
    t.end();
  });
});
