// HS-002 and HS-003: wrong secret, wrong tenant. In: a HELLO sealed under any other 32-byte key
// for a known tenant and kid; a WELCOME sealed by a cloud holding another key; a captured HELLO
// of tenant A presented as tenant B (another secret, or even the same secret and kid).
// Out: HS_E_AUTH every time; the genuine HELLO is still accepted afterwards.
import fc from 'fast-check';
import {
  createHello,
  HandshakeVerifier,
  openWelcome,
  REJECT_MESSAGE,
} from '../../relay/src/protocol/handshake';
import {
  clockAt,
  fieldsOf,
  fixtureHello,
  fixtureVerifier,
  HS_NOW_MS,
  KEY_A,
  KID_A,
  KID_B,
  messageOf,
  outcome,
  rejectText,
  RELAY_ID,
  seededRandom,
  TENANT_A,
  TENANT_B,
  verdict,
} from '../fuzz/targets/handshake';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

const otherKey = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .filter((k) => !Buffer.from(k).equals(KEY_A));

void kase('HS-002', async (t) => {
  await t.test('a HELLO sealed with any other secret fails HS_E_AUTH with REJECT', (t) =>
    checkProperty(
      t,
      fc.property(otherKey, fc.integer(), (key, seed) => {
        const { message } = createHello(
          { tenant: TENANT_A, kid: KID_A, key, relay: RELAY_ID },
          { clock: clockAt(HS_NOW_MS), random: seededRandom(seed) },
        );
        const result = fixtureVerifier().verify(message);
        return verdict(result) === 'HS_E_AUTH' && rejectText(result) === REJECT_MESSAGE;
      }),
    ),
  );

  await t.test('the same HELLO under the right secret is accepted (control)', (t) => {
    t.equal(verdict(fixtureVerifier().verify(fixtureHello().message)), 'ok');
    t.end();
  });

  await t.test('the relay refuses a WELCOME from a cloud that holds another secret', (t) =>
    checkProperty(
      t,
      fc.property(otherKey, fc.integer(), (key, seed) => {
        const { message, pending } = fixtureHello({}, { random: seededRandom(seed) });
        // An impostor cloud that accepts any HELLO under its own key cannot open this one, so
        // it answers a HELLO it made itself, under its own key, echoing nothing useful.
        const impostor = new HandshakeVerifier(
          { tenants: { [TENANT_A]: [{ kid: KID_A, key }] } },
          { clock: clockAt(HS_NOW_MS), random: seededRandom(seed) },
        );
        const own = createHello(
          { tenant: TENANT_A, kid: KID_A, key, relay: RELAY_ID },
          { clock: clockAt(HS_NOW_MS), random: seededRandom(`i${seed}`) },
        );
        const answer = impostor.verify(own.message);
        if (!answer.ok) return false;
        const genuine = fixtureVerifier().verify(message);
        return (
          genuine.ok &&
          outcome(() => openWelcome(pending, answer.welcome, { clock: clockAt(HS_NOW_MS) })) ===
            'HS_E_AUTH'
        );
      }),
    ),
  );
});

void kase('HS-003', async (t) => {
  await t.test('a HELLO of A relabelled as B fails HS_E_AUTH when B shares A’s secret', (t) =>
    checkProperty(
      t,
      fc.property(fc.integer(), (seed) => {
        const verifier = new HandshakeVerifier(
          {
            tenants: {
              [TENANT_A]: [{ kid: KID_A, key: KEY_A }],
              [TENANT_B]: [{ kid: KID_A, key: KEY_A }],
            },
          },
          { clock: clockAt(HS_NOW_MS) },
        );
        const { message } = fixtureHello({}, { random: seededRandom(seed) });
        const relabelled = messageOf({ ...fieldsOf(message), tenant: TENANT_B });
        return (
          verdict(verifier.verify(relabelled)) === 'HS_E_AUTH' &&
          verdict(verifier.verify(message)) === 'ok'
        );
      }),
    ),
  );

  await t.test('a HELLO of A relabelled as B (own secret and kid) fails HS_E_AUTH', (t) => {
    const { message } = fixtureHello();
    const relabelled = messageOf({ ...fieldsOf(message), tenant: TENANT_B, kid: KID_B });
    t.equal(verdict(fixtureVerifier().verify(relabelled)), 'HS_E_AUTH');
    t.end();
  });
});
