// HS-018: the failure limit. In: failed HELLOs for one tenant at chosen times, then valid ones.
// Out: after the 10th failure within any 60 s, every HELLO of that tenant (valid ones too) is
// refused HS_E_RATE for 60 s from that failure; refusals during the back-off do not extend it;
// other tenants are unaffected; failures older than 60 s do not count.
import fc from 'fast-check';
import { type HandshakeVerifier } from '../../relay/src/protocol/handshake';
import {
  fixtureHello,
  fixtureVerifier,
  KEY_B,
  KID_B,
  ManualClock,
  seededRandom,
  TENANT_B,
  verdict,
} from '../fuzz/targets/handshake';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

let n = 0;
/** A fresh HELLO of tenant A at the clock's time: valid, or sealed under the wrong key. */
function hello(clock: ManualClock, valid: boolean): string {
  const params = valid ? {} : { key: KEY_B };
  return fixtureHello(params, { clock, random: seededRandom(n++) }).message;
}

function fail(verifier: HandshakeVerifier, clock: ManualClock, times: number): string[] {
  return Array.from({ length: times }, () => verdict(verifier.verify(hello(clock, false))));
}

void kase('HS-018', async (t) => {
  await t.test('ten failures start a 60 s back-off that refuses even a valid HELLO', (t) => {
    const clock = new ManualClock();
    const verifier = fixtureVerifier({}, { clock });
    t.same(fail(verifier, clock, 10), Array(10).fill('HS_E_AUTH'), 'ten failures are judged');
    t.equal(verdict(verifier.verify(hello(clock, true))), 'HS_E_RATE', 'valid HELLO refused');
    t.equal(verdict(verifier.verify(hello(clock, false))), 'HS_E_RATE', 'no crypto in back-off');
    const b = fixtureHello({ tenant: TENANT_B, kid: KID_B, key: KEY_B }, { clock });
    t.equal(verdict(verifier.verify(b.message)), 'ok', 'another tenant is unaffected');
    clock.advance(59_999);
    t.equal(verdict(verifier.verify(hello(clock, true))), 'HS_E_RATE', 'at +59.999 s');
    clock.advance(1);
    t.equal(verdict(verifier.verify(hello(clock, true))), 'ok', 'at +60 s the back-off is over');
    t.end();
  });

  await t.test('nine failures leave the tenant open', (t) => {
    const clock = new ManualClock();
    const verifier = fixtureVerifier({}, { clock });
    fail(verifier, clock, 9);
    t.equal(verdict(verifier.verify(hello(clock, true))), 'ok');
    t.end();
  });

  await t.test('failures older than 60 s do not count', (t) => {
    const clock = new ManualClock();
    const verifier = fixtureVerifier({}, { clock });
    fail(verifier, clock, 9);
    clock.advance(60_000);
    t.same(fail(verifier, clock, 1), ['HS_E_AUTH']);
    t.equal(verdict(verifier.verify(hello(clock, true))), 'ok');
    t.end();
  });

  await t.test('malformed messages and unknown tenants cost nothing and do not count', (t) => {
    const clock = new ManualClock();
    const verifier = fixtureVerifier({}, { clock });
    for (let i = 0; i < 50; i++) {
      verifier.verify('{"v":1}');
      verifier.verify(fixtureHello({ tenant: 'council-99' }, { clock }).message);
    }
    t.equal(verdict(verifier.verify(hello(clock, true))), 'ok');
    t.end();
  });

  await t.test('for any failure times, a tenant is refused exactly when the rule says so', (t) =>
    checkProperty(
      t,
      fc.property(
        fc.array(fc.integer({ min: 0, max: 30_000 }), { minLength: 1, maxLength: 25 }),
        (gaps) => {
          const clock = new ManualClock();
          const verifier = fixtureVerifier({}, { clock });
          // A reference model of the documented rule, checked step by step.
          let counted: number[] = [];
          let until = -Infinity;
          for (const gap of gaps) {
            clock.advance(gap);
            const now = clock.now();
            const blocked = now < until;
            const code = verdict(verifier.verify(hello(clock, false)));
            if (code !== (blocked ? 'HS_E_RATE' : 'HS_E_AUTH')) return false;
            if (!blocked) {
              counted = [...counted.filter((at) => at > now - 60_000), now];
              if (counted.length >= 10) {
                until = now + 60_000;
                counted = [];
              }
            }
          }
          return true;
        },
      ),
      1000,
    ),
  );
});
