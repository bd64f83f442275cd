// HS-013, HS-014, HS-024, HS-027: the relay's mirror rules on WELCOME, and reflection on both
// sides. In: genuine WELCOMEs given to the wrong pending HELLO, HELLOs reflected back (as they
// are, or relabelled "welcome"), WELCOMEs sent to the cloud as HELLOs, answers for another
// tenant or kid, a second use of one WELCOME, REJECT. Out: the exact HandshakeError code.
import fc from 'fast-check';
import {
  HandshakeVerifier,
  openWelcome,
  REJECT_MESSAGE,
  type PendingHello,
} from '../../relay/src/protocol/handshake';
import {
  clockAt,
  fieldsOf,
  fixtureHello,
  fixtureVerifier,
  HS_NOW_MS,
  KEY_A,
  KEY_B,
  KID_A,
  KID_B,
  messageOf,
  outcome,
  seededRandom,
  TENANT_A,
  TENANT_B,
  verdict,
} from '../fuzz/targets/handshake';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

const clock = clockAt(HS_NOW_MS);
const open = (pending: PendingHello, text: string | Uint8Array) =>
  outcome(() => openWelcome(pending, text, { clock }));

/** A HELLO (seeded) and the fixture cloud's WELCOME for it. */
function exchange(seed: number | string, verifier = fixtureVerifier()) {
  const hello = fixtureHello({}, { random: seededRandom(seed) });
  const result = verifier.verify(hello.message);
  if (!result.ok) throw new Error(result.error.code);
  return { ...hello, welcome: result.welcome };
}

void kase('HS-013', async (t) => {
  await t.test('a genuine WELCOME for another HELLO of the same relay fails HS_E_NONCE', (t) =>
    checkProperty(
      t,
      fc.property(fc.integer(), (seed) => {
        const verifier = fixtureVerifier();
        const first = exchange(`a${seed}`, verifier);
        const second = exchange(`b${seed}`, verifier);
        return (
          open(first.pending, second.welcome) === 'HS_E_NONCE' &&
          open(second.pending, first.welcome) === 'HS_E_NONCE' &&
          open(first.pending, first.welcome) === 'ok'
        );
      }),
    ),
  );
});

void kase('HS-014', async (t) => {
  await t.test('a HELLO reflected back to the relay fails HS_E_AUTH, as is or relabelled', (t) =>
    checkProperty(
      t,
      fc.property(fc.integer(), (seed) => {
        const { message, pending } = fixtureHello({}, { random: seededRandom(seed) });
        const relabelled = messageOf({ ...fieldsOf(message), t: 'welcome' });
        return open(pending, message) === 'HS_E_AUTH' && open(pending, relabelled) === 'HS_E_AUTH';
      }),
    ),
  );

  await t.test('a WELCOME sent to the cloud as a HELLO fails HS_E_AUTH, as is or relabelled', (t) =>
    checkProperty(
      t,
      fc.property(fc.integer(), (seed) => {
        const { welcome } = exchange(seed);
        const relabelled = messageOf({ ...fieldsOf(welcome), t: 'hello' });
        return (
          verdict(fixtureVerifier().verify(welcome)) === 'HS_E_AUTH' &&
          verdict(fixtureVerifier().verify(relabelled)) === 'HS_E_AUTH'
        );
      }),
    ),
  );
});

void kase('HS-024', async (t) => {
  await t.test('a WELCOME naming another tenant fails HS_E_TENANT', (t) => {
    const { pending } = fixtureHello();
    const hb = fixtureHello({ tenant: TENANT_B, kid: KID_B, key: KEY_B });
    const result = fixtureVerifier().verify(hb.message);
    if (!result.ok) throw new Error(result.error.code);
    t.equal(open(pending, result.welcome), 'HS_E_TENANT');
    t.equal(open(hb.pending, result.welcome), 'ok', 'control: B accepts its own WELCOME');
    t.end();
  });

  await t.test('a WELCOME naming another kid of the same tenant fails HS_E_KID', (t) => {
    const verifier = new HandshakeVerifier(
      {
        tenants: {
          [TENANT_A]: [
            { kid: KID_A, key: KEY_A },
            { kid: 'k2', key: KEY_B },
          ],
        },
      },
      { clock },
    );
    const { pending } = fixtureHello();
    const other = fixtureHello({ kid: 'k2', key: KEY_B }, { random: seededRandom('k2') });
    const result = verifier.verify(other.message);
    if (!result.ok) throw new Error(result.error.code);
    t.equal(open(pending, result.welcome), 'HS_E_KID');
    t.end();
  });

  await t.test('a WELCOME relabelled with another tenant or kid fails', (t) => {
    const { pending, welcome } = exchange('relabel');
    const f = fieldsOf(welcome);
    t.equal(open(pending, messageOf({ ...f, tenant: TENANT_B })), 'HS_E_TENANT');
    t.equal(open(pending, messageOf({ ...f, kid: 'k9' })), 'HS_E_KID');
    t.end();
  });

  await t.test('a HELLO is answered once: the same WELCOME again fails HS_E_REPLAY', (t) => {
    const { pending, welcome } = exchange('once');
    t.equal(open(pending, welcome), 'ok');
    t.equal(open(pending, welcome), 'HS_E_REPLAY');
    t.end();
  });

  await t.test('a pending HELLO that createHello did not make is refused HS_E_CONFIG', (t) => {
    const { pending, welcome } = exchange('forged');
    const copy: PendingHello = { ...pending };
    t.equal(open(copy, welcome), 'HS_E_CONFIG');
    t.end();
  });
});

void kase('HS-027', async (t) => {
  await t.test('REJECT makes the relay throw HS_E_REJECTED, as text or bytes', (t) => {
    const { pending } = fixtureHello();
    t.equal(open(pending, REJECT_MESSAGE), 'HS_E_REJECTED');
    t.equal(open(pending, Buffer.from(REJECT_MESSAGE)), 'HS_E_REJECTED');
    t.end();
  });

  await t.test('anything REJECT-like but not exactly REJECT is HS_E_FORMAT', (t) => {
    const { pending } = fixtureHello();
    for (const text of [
      '{"v":1,"t":"reject","reason":"HS_E_AUTH"}',
      '{"t":"reject","v":1}',
      '{"v":1, "t":"reject"}',
      `${REJECT_MESSAGE}\n`,
    ]) {
      t.equal(open(pending, text), 'HS_E_FORMAT', text);
    }
    t.end();
  });
});
