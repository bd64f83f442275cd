// SAS-004: expiry. In: a token with expiry se and clocks around se. Out: valid strictly
// before se, SAS_E_EXPIRED from se on.
import fc from 'fast-check';
import { SasError, verifySasToken } from '../../relay/src/protocol/sas';
import { SAS_NOW_S, clockAt, fixtureToken, sasOptions } from '../fuzz/targets/sas';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

const EXPIRED = { name: 'SasError', code: 'SAS_E_EXPIRED', http: 401 };

void kase('SAS-004', async (t) => {
  const token = fixtureToken('send-only', undefined, 600);
  const se = SAS_NOW_S + 600;

  await t.test('at exactly se the token is expired', (t) => {
    t.throws(() => verifySasToken(token, sasOptions('Send'), { clock: clockAt(se) }), EXPIRED);
    t.end();
  });

  await t.test('one second before se the token is valid', (t) => {
    t.ok(verifySasToken(token, sasOptions('Send'), { clock: clockAt(se - 1) }));
    t.end();
  });

  await t.test('one millisecond before se the token is still valid', (t) => {
    const clock = { now: () => se * 1000 - 1 };
    t.ok(verifySasToken(token, sasOptions('Send'), { clock }));
    t.end();
  });

  await t.test('long after se the token is expired', (t) => {
    t.throws(
      () => verifySasToken(token, sasOptions('Send'), { clock: clockAt(se + 86_400) }),
      EXPIRED,
    );
    t.end();
  });

  await t.test('for any clock the token is refused as expired exactly when now >= se', (t) =>
    checkProperty(
      t,
      fc.property(fc.integer({ min: -100_000, max: 600_000 }), (offsetMs) => {
        const nowMs = se * 1000 + offsetMs;
        try {
          verifySasToken(token, sasOptions('Send'), { clock: { now: () => nowMs } });
          return offsetMs < 0;
        } catch (e) {
          return e instanceof SasError && e.code === 'SAS_E_EXPIRED' && offsetMs >= 0;
        }
      }),
    ),
  );
});
