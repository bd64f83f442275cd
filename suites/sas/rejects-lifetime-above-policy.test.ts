// SAS-012: the maximum lifetime policy. In: tokens expiring at various distances from now
// and policies of various maxima. Out: accepted up to and including the maximum,
// SAS_E_LIFETIME (HTTP 401) beyond it.
import fc from 'fast-check';
import { SasError, verifySasToken } from '../../relay/src/protocol/sas';
import {
  SAS_MAX_LIFETIME,
  SAS_RULES,
  fixtureToken,
  sasClock,
  sasOptions,
} from '../fuzz/targets/sas';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

void kase('SAS-012', async (t) => {
  await t.test('a token living exactly the maximum is accepted', (t) => {
    const token = fixtureToken('send-only', undefined, SAS_MAX_LIFETIME);
    t.ok(verifySasToken(token, sasOptions('Send'), { clock: sasClock }));
    t.end();
  });

  await t.test('a token living one second more than the maximum is refused', (t) => {
    const token = fixtureToken('send-only', undefined, SAS_MAX_LIFETIME + 1);
    t.throws(() => verifySasToken(token, sasOptions('Send'), { clock: sasClock }), {
      name: 'SasError',
      code: 'SAS_E_LIFETIME',
      http: 401,
    });
    t.end();
  });

  await t.test('a ten-year token, as some generators make, is refused', (t) => {
    const token = fixtureToken('send-only', undefined, 10 * 365 * 86_400);
    t.throws(() => verifySasToken(token, sasOptions('Send'), { clock: sasClock }), {
      code: 'SAS_E_LIFETIME',
    });
    t.end();
  });

  const cases = fc.record({
    max: fc.integer({ min: 0, max: 7 * 86_400 }),
    ttl: fc.integer({ min: 1, max: 14 * 86_400 }),
  });
  await t.test('for any policy, a token is refused for lifetime exactly when ttl > max', (t) =>
    checkProperty(
      t,
      fc.property(cases, ({ max, ttl }) => {
        const token = fixtureToken('send-only', undefined, ttl);
        const options = { ...sasOptions('Send'), rules: SAS_RULES, maxLifetimeSeconds: max };
        try {
          verifySasToken(token, options, { clock: sasClock });
          return ttl <= max;
        } catch (e) {
          return e instanceof SasError && e.code === 'SAS_E_LIFETIME' && ttl > max;
        }
      }),
    ),
  );
});
