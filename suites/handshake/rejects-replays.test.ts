// HS-007, HS-008, HS-009: replay. In: a HELLO presented again, a new HELLO reusing an earlier
// salt, a new HELLO reusing an earlier relay nonce. Out: HS_E_REPLAY while the original could
// still be fresh, HS_E_SKEW after; never accepted twice. A forged HELLO cannot reserve a salt.
import fc from 'fast-check';
import { createHello, type HelloParams } from '../../relay/src/protocol/handshake';
import {
  clockAt,
  fixtureHello,
  fixtureVerifier,
  HS_NOW_MS,
  KEY_A,
  KID_A,
  KID_B,
  KEY_B,
  ManualClock,
  RELAY_ID,
  scriptedRandom,
  seededRandom,
  TENANT_A,
  TENANT_B,
  verdict,
} from '../fuzz/targets/handshake';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

const A: HelloParams = { tenant: TENANT_A, kid: KID_A, key: KEY_A, relay: RELAY_ID };
const bytes = (n: number, fill: number) => Buffer.alloc(n, fill);

/** A HELLO of `params` at `ms` whose nr, salt and iv are exactly these. */
function helloWith(nr: Buffer, salt: Buffer, iv: Buffer, params = A, ms = HS_NOW_MS): string {
  return createHello(params, { clock: clockAt(ms), random: scriptedRandom([nr, salt, iv]) })
    .message;
}

void kase('HS-007', async (t) => {
  await t.test('a HELLO presented again is refused HS_E_REPLAY, then HS_E_SKEW, never ok', (t) => {
    const clock = new ManualClock();
    const verifier = fixtureVerifier({}, { clock });
    const { message } = fixtureHello();
    t.equal(verdict(verifier.verify(message)), 'ok', 'first presentation');
    t.equal(verdict(verifier.verify(message)), 'HS_E_REPLAY', 'at once');
    clock.advance(120_000);
    t.equal(verdict(verifier.verify(message)), 'HS_E_REPLAY', 'at +120 s (still fresh)');
    clock.advance(1);
    t.equal(verdict(verifier.verify(message)), 'HS_E_SKEW', 'at +120.001 s');
    clock.set(HS_NOW_MS + 11 * 60_000);
    t.equal(verdict(verifier.verify(message)), 'HS_E_SKEW', 'at +11 min');
    t.end();
  });

  await t.test('any earlier HELLO of a sequence, presented again, is refused', (t) =>
    checkProperty(
      t,
      fc.property(fc.integer({ min: 1, max: 12 }), fc.nat(), fc.integer(), (n, pick, seed) => {
        const verifier = fixtureVerifier();
        const random = seededRandom(seed);
        const hellos = Array.from({ length: n }, () => fixtureHello({}, { random }).message);
        const first = hellos.map((m) => verdict(verifier.verify(m)));
        const again = verdict(verifier.verify(hellos[pick % n] ?? ''));
        return first.every((c) => c === 'ok') && again === 'HS_E_REPLAY';
      }),
    ),
  );
});

void kase('HS-008', async (t) => {
  await t.test('a new HELLO with an earlier salt (fresh nonce and iv) is HS_E_REPLAY', (t) => {
    const verifier = fixtureVerifier();
    const salt = bytes(16, 0x5a);
    t.equal(verdict(verifier.verify(helloWith(bytes(16, 1), salt, bytes(12, 1)))), 'ok');
    const again = helloWith(bytes(16, 2), salt, bytes(12, 2), A, HS_NOW_MS + 1);
    t.equal(verdict(verifier.verify(again)), 'HS_E_REPLAY');
    t.end();
  });

  await t.test('a forged HELLO cannot reserve a salt: the genuine one is still accepted', (t) => {
    const verifier = fixtureVerifier();
    const salt = bytes(16, 0x6b);
    const forged = helloWith(bytes(16, 3), salt, bytes(12, 3), { ...A, key: KEY_B });
    t.equal(verdict(verifier.verify(forged)), 'HS_E_AUTH');
    t.equal(verdict(verifier.verify(helloWith(bytes(16, 4), salt, bytes(12, 4)))), 'ok');
    t.end();
  });

  await t.test('the same salt under another tenant is that tenant’s own business', (t) => {
    const verifier = fixtureVerifier();
    const salt = bytes(16, 0x7c);
    t.equal(verdict(verifier.verify(helloWith(bytes(16, 5), salt, bytes(12, 5)))), 'ok');
    const b = { tenant: TENANT_B, kid: KID_B, key: KEY_B, relay: RELAY_ID };
    t.equal(verdict(verifier.verify(helloWith(bytes(16, 6), salt, bytes(12, 6), b))), 'ok');
    t.end();
  });
});

void kase('HS-009', async (t) => {
  await t.test(
    'a new HELLO with an earlier relay nonce (fresh salt and iv) is HS_E_REPLAY',
    (t) => {
      const clock = new ManualClock();
      const verifier = fixtureVerifier({}, { clock });
      const nr = bytes(16, 0x42);
      t.equal(verdict(verifier.verify(helloWith(nr, bytes(16, 7), bytes(12, 7)))), 'ok');
      clock.advance(9 * 60_000);
      const later = helloWith(nr, bytes(16, 8), bytes(12, 8), A, clock.now());
      t.equal(verdict(verifier.verify(later)), 'HS_E_REPLAY', 'at +9 min, still in the window');
      clock.advance(60_000);
      const after = helloWith(nr, bytes(16, 9), bytes(12, 9), A, clock.now());
      t.equal(verdict(verifier.verify(after)), 'ok', 'at +10 min the nonce may be seen again');
      t.end();
    },
  );
});
